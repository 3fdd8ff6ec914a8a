using System.Net;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace Platform.Tests.Deployment;

/// <summary>GET /tenants/{t}/deployment/k8s, parsed back as YAML and checked field by field against the agreement.</summary>
public sealed class KubernetesManifestTests : IAsyncLifetime
{
    private PlatformHost _host = null!;

    public async Task InitializeAsync() => _host = await PlatformHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static string At(YamlNode node, params object[] path)
    {
        foreach (var step in path)
        {
            node = step is int i ? ((YamlSequenceNode)node).Children[i] : ((YamlMappingNode)node).Children[new YamlScalarNode((string)step)];
        }

        return ((YamlScalarNode)node).Value!;
    }

    private static void AssertContainer(YamlNode pod, string app)
    {
        Assert.Equal("client_a", At(pod, "metadata", "labels", "mysimbdp/tenant"));
        var container = ((YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)pod).Children[new YamlScalarNode("spec")]).Children[new YamlScalarNode("containers")]).Children.Single();
        Assert.Equal(app, At(container, "name"));
        Assert.Equal(app, At(container, "command", 0));
        Assert.Equal("ghcr.io/mysimbdp/client-apps:latest", At(container, "image"));
        Assert.Equal("CLIENT_ID", At(container, "env", 0, "name"));
        Assert.Equal("client_a", At(container, "env", 0, "value"));
        Assert.Equal("SOURCE_PATH", At(container, "env", 1, "name"));
        Assert.Equal("/staging", At(container, "env", 1, "value"));
        Assert.Equal("250m", At(container, "resources", "requests", "cpu"));
        Assert.Equal("256Mi", At(container, "resources", "requests", "memory"));
        Assert.Equal("1", At(container, "resources", "limits", "cpu"));
        Assert.Equal("512Mi", At(container, "resources", "limits", "memory"));
        Assert.Equal("staging", At(container, "volumeMounts", 0, "name"));
        Assert.Equal("/staging", At(container, "volumeMounts", 0, "mountPath"));
        Assert.Equal("staging", At(pod, "spec", "volumes", 0, "name"));
        Assert.Equal("mysimbdp-staging", At(pod, "spec", "volumes", 0, "persistentVolumeClaim", "claimName"));
    }

    [Fact]
    public async Task TheAgreementBecomesACronJobForTheBatchAppAndADeploymentForTheStreamApp()
    {
        using var t = await _host.TenantAsync("client_a");
        var agreement = Repo.Example("client_a", "agreement").With("stream_app", new JsonObject { ["name"] = "clientstreamingestapp" });
        await t.RegisterAsync("client_a", Flows.DatasetA(), agreement);

        var response = await t.GetAsync("/tenants/client_a/deployment/k8s");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/yaml", response.Content.Headers.ContentType!.MediaType);
        var yaml = new YamlStream();
        yaml.Load(new StringReader(await response.Content.ReadAsStringAsync()));
        Assert.Equal(2, yaml.Documents.Count);

        var cron = yaml.Documents[0].RootNode;
        Assert.Equal("batch/v1", At(cron, "apiVersion"));
        Assert.Equal("CronJob", At(cron, "kind"));
        Assert.Equal("client-a-batch-app", At(cron, "metadata", "name"));
        Assert.Equal("mysimbdp", At(cron, "metadata", "namespace"));
        Assert.Equal("*/5 * * * *", At(cron, "spec", "schedule"));
        Assert.Equal("Etc/UTC", At(cron, "spec", "timeZone"));
        Assert.Equal("Forbid", At(cron, "spec", "concurrencyPolicy"));
        Assert.Equal("300", At(cron, "spec", "jobTemplate", "spec", "activeDeadlineSeconds"));
        Assert.Equal("0", At(cron, "spec", "jobTemplate", "spec", "backoffLimit"));
        var batchPod = ((YamlMappingNode)((YamlMappingNode)((YamlMappingNode)((YamlMappingNode)cron)["spec"])["jobTemplate"])["spec"])["template"];
        Assert.Equal("Never", At(batchPod, "spec", "restartPolicy"));
        AssertContainer(batchPod, "clientbatchingestapp");

        var deployment = yaml.Documents[1].RootNode;
        Assert.Equal("apps/v1", At(deployment, "apiVersion"));
        Assert.Equal("Deployment", At(deployment, "kind"));
        Assert.Equal("client-a-stream-app", At(deployment, "metadata", "name"));
        Assert.Equal("1", At(deployment, "spec", "replicas"));
        Assert.Equal("stream-app", At(deployment, "spec", "selector", "matchLabels", "app.kubernetes.io/component"));
        var streamPod = ((YamlMappingNode)((YamlMappingNode)deployment)["spec"])["template"];
        Assert.Equal("stream-app", At(streamPod, "metadata", "labels", "app.kubernetes.io/component"));
        Assert.Equal("Always", At(streamPod, "spec", "restartPolicy"));
        AssertContainer(streamPod, "clientstreamingestapp");
    }

    [Fact]
    public async Task NoAgreementOrNoAppIsExplained()
    {
        using var t = await _host.TenantAsync("k8s_none");
        Assert.Equal(HttpStatusCode.NotFound, (await t.GetAsync("/tenants/k8s_none/deployment/k8s")).StatusCode);
        await t.RegisterAsync("k8s_none", Flows.DatasetA(), Flows.AgreementWithoutApp());
        var conflict = await t.GetAsync("/tenants/k8s_none/deployment/k8s");
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Contains("names no batch_app or stream_app", (await conflict.ReadJsonAsync()).GetProperty("detail").GetString());
        using var other = await _host.TenantAsync("k8s_other");
        Assert.Equal(HttpStatusCode.Forbidden, (await other.GetAsync("/tenants/k8s_none/deployment/k8s")).StatusCode);
    }
}
