using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Tests.Api;

public sealed class RestartTests
{
    [Fact]
    public async Task ARestartKeepsTenantsDatasetsAgreementsStagedFilesAndTokens()
    {
        await using var host = await PlatformHost.StartAsync();
        using var admin = await host.AdminAsync();
        var created = await (await admin.PostAsJsonAsync("/tenants", new { id = "client_b" })).ReadJsonAsync();
        var secret = created.GetProperty("client_secret").GetString()!;
        var token = await host.TokenAsync("client_b", secret);
        using (var b = host.WithToken(token))
        {
            await b.PutAsync("/tenants/client_b/datasets/product_reviews", Repo.Body(Repo.Example("client_b", "dataset")));
            await b.PutAsync("/tenants/client_b/agreement", Repo.Body(Repo.Example("client_b", "agreement")));
            var upload = await b.PostAsync("/tenants/client_b/datasets/product_reviews/files",
                new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes("marketplace\tcustomer_id\nUS\t1\n")), "file", "reviews.tsv" } });
            Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
        }

        await host.RestartAsync();

        using var again = host.WithToken(token);
        Assert.Equal(HttpStatusCode.OK, (await again.GetAsync("/tenants/client_b")).StatusCode);
        var dataset = JsonNode.Parse(await again.GetStringAsync("/tenants/client_b/datasets/product_reviews"))!.AsObject();
        dataset.Remove("status");
        Assert.True(JsonNode.DeepEquals(Repo.Example("client_b", "dataset"), dataset));
        Assert.True(JsonNode.DeepEquals(Repo.Example("client_b", "agreement"), JsonNode.Parse(await again.GetStringAsync("/tenants/client_b/agreement"))));
        var file = Assert.Single(JsonDocument.Parse(await again.GetStringAsync("/tenants/client_b/files")).RootElement.GetProperty("files").EnumerateArray());
        Assert.Equal("reviews.tsv", file.GetProperty("name").GetString());
        Assert.Equal("staged", file.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await host.Anonymous().PostAsJsonAsync("/auth/token", new { client_id = "client_b", client_secret = secret })).StatusCode);
    }
}
