using Catalog.Agreements;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Api.Auth;
using Platform.Api.Docs;
using Platform.Api.Problems;
using YamlDotNet.Serialization;

namespace Platform.Api.Deployment;

/// <summary>Where tenant apps run on Kubernetes (section <c>Kubernetes</c>).</summary>
public sealed class KubernetesOptions
{
    public const string Section = "Kubernetes";

    public string Namespace { get; set; } = "mysimbdp";

    /// <summary>The image holding the apps the platform provides; the app's name is its command.</summary>
    public string AppImage { get; set; } = "ghcr.io/mysimbdp/client-apps:latest";

    /// <summary>The PersistentVolumeClaim of the staging area shared with the platform.</summary>
    public string StagingClaim { get; set; } = "mysimbdp-staging";

    public string StagingMountPath { get; set; } = "/staging";
}

/// <summary>
/// The tenant's apps as Kubernetes objects, from its agreement: a CronJob for the batch app (the agreement's
/// schedule in UTC, one run at a time, killed past timeout_seconds) and a Deployment of one replica for the
/// stream app, each with CLIENT_ID and SOURCE_PATH, the staging volume, and the agreement's requests and limits.
/// </summary>
public static class KubernetesManifests
{
    public static void MapDeployment(this IEndpointRouteBuilder app) =>
        app.MapGroup("/tenants/{tenant}").ForTenant().WithTags("Deployment").MapGet("/deployment/k8s", Get).Produces<string>(200, "application/yaml").Problems(409)
            .WithSummary("Kubernetes manifests (YAML) for the tenant's batch app (CronJob) and stream app (Deployment).");

    public static async Task<Results<ContentHttpResult, ProblemHttpResult>> Get(TenantContext tenant, AgreementCatalog agreements,
        Microsoft.Extensions.Options.IOptions<KubernetesOptions> options, CancellationToken ct)
    {
        if (await agreements.GetAsync(tenant.Id, ct) is not { } agreement)
        {
            return Problem.NotFound($"Tenant '{tenant.Id}' has no service agreement: PUT /tenants/{tenant.Id}/agreement first.");
        }

        if (agreement.BatchApp is null && agreement.StreamApp is null)
        {
            return Problem.Conflict($"The agreement of '{tenant.Id}' names no batch_app or stream_app, so there is nothing to deploy.");
        }

        return TypedResults.Text(Render(agreement, options.Value), "application/yaml");
    }

    public static string Render(ServiceAgreement agreement, KubernetesOptions options)
    {
        var serializer = new SerializerBuilder().DisableAliases().Build();
        var documents = new List<object>();
        var name = agreement.Tenant.Replace('_', '-');
        if (agreement.BatchApp is { } batch)
        {
            documents.Add(new Dictionary<string, object>
            {
                ["apiVersion"] = "batch/v1",
                ["kind"] = "CronJob",
                ["metadata"] = Metadata(name + "-batch-app", agreement, options, "batch"),
                ["spec"] = new Dictionary<string, object>
                {
                    ["schedule"] = agreement.Schedule.Expression,
                    ["timeZone"] = "Etc/UTC",
                    ["concurrencyPolicy"] = "Forbid",
                    ["startingDeadlineSeconds"] = 300,
                    ["jobTemplate"] = new Dictionary<string, object>
                    {
                        ["spec"] = new Dictionary<string, object>
                        {
                            ["activeDeadlineSeconds"] = (long)batch.Timeout.TotalSeconds,
                            ["backoffLimit"] = 0,
                            ["template"] = Pod(agreement, options, batch.Name, "Never", "batch"),
                        },
                    },
                },
            });
        }

        if (agreement.StreamApp is { } stream)
        {
            var labels = Labels(agreement, "stream");
            documents.Add(new Dictionary<string, object>
            {
                ["apiVersion"] = "apps/v1",
                ["kind"] = "Deployment",
                ["metadata"] = Metadata(name + "-stream-app", agreement, options, "stream"),
                ["spec"] = new Dictionary<string, object>
                {
                    ["replicas"] = 1,
                    ["strategy"] = new Dictionary<string, object> { ["type"] = "Recreate" },
                    ["selector"] = new Dictionary<string, object> { ["matchLabels"] = labels },
                    ["template"] = Pod(agreement, options, stream.Name, "Always", "stream"),
                },
            });
        }

        return string.Join("---\n", documents.Select(serializer.Serialize));
    }

    private static Dictionary<string, string> Labels(ServiceAgreement agreement, string mode) => new()
    {
        ["app.kubernetes.io/part-of"] = "mysimbdp",
        ["app.kubernetes.io/component"] = mode + "-app",
        ["mysimbdp/tenant"] = agreement.Tenant,
    };

    private static Dictionary<string, object> Metadata(string name, ServiceAgreement agreement, KubernetesOptions options, string mode) => new()
    {
        ["name"] = name,
        ["namespace"] = options.Namespace,
        ["labels"] = Labels(agreement, mode),
    };

    private static Dictionary<string, object> Pod(ServiceAgreement agreement, KubernetesOptions options, string app, string restartPolicy, string mode) => new()
    {
        ["metadata"] = new Dictionary<string, object> { ["labels"] = Labels(agreement, mode) },
        ["spec"] = new Dictionary<string, object>
        {
            ["restartPolicy"] = restartPolicy,
            ["containers"] = new[]
            {
                new Dictionary<string, object>
                {
                    ["name"] = app,
                    ["image"] = options.AppImage,
                    ["command"] = new[] { app },
                    ["env"] = new[]
                    {
                        new Dictionary<string, string> { ["name"] = "CLIENT_ID", ["value"] = agreement.Tenant },
                        new Dictionary<string, string> { ["name"] = "SOURCE_PATH", ["value"] = options.StagingMountPath },
                    },
                    ["resources"] = new Dictionary<string, object>
                    {
                        ["requests"] = new Dictionary<string, string> { ["cpu"] = agreement.Resources.RequestCpuText, ["memory"] = agreement.Resources.RequestMemoryText },
                        ["limits"] = new Dictionary<string, string> { ["cpu"] = agreement.Resources.LimitCpuText, ["memory"] = agreement.Resources.LimitMemoryText },
                    },
                    ["volumeMounts"] = new[] { new Dictionary<string, string> { ["name"] = "staging", ["mountPath"] = options.StagingMountPath } },
                },
            },
            ["volumes"] = new[]
            {
                new Dictionary<string, object>
                {
                    ["name"] = "staging",
                    ["persistentVolumeClaim"] = new Dictionary<string, string> { ["claimName"] = options.StagingClaim },
                },
            },
        },
    };
}
