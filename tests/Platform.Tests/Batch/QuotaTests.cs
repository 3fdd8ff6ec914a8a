using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.Tests.Batch;

public sealed class QuotaTests : IAsyncLifetime
{
    private PlatformHost _host = null!;

    public async Task InitializeAsync() => _host = await PlatformHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static readonly byte[] SmallCsv = Encoding.UTF8.GetBytes(MessyFile.Header + "\n1,1,2026-03-01,08:00:00,50,1,car,\n1,2,2026-03-01,08:00:00,50,1,car,\n");

    private async Task<HttpClient> TenantWithQuotas(string id, JsonObject quotas)
    {
        var t = await _host.TenantAsync(id);
        await t.RegisterAsync(id, Flows.DatasetA(), Flows.AgreementWithoutApp().With("quotas", quotas));
        return t;
    }

    private static async Task<HttpResponseMessage> Upload(HttpClient t, string tenant, byte[] content) =>
        await t.PostAsync($"/tenants/{tenant}/datasets/speed_tracking/files", new MultipartFormDataContent { { new ByteArrayContent(content), "file", "a.csv" } });

    [Fact]
    public async Task FilesPerDayRefusesTheNextUploadWith429AndSaysWhenToRetry()
    {
        using var t = await TenantWithQuotas("files_quota", new JsonObject { ["files_per_day"] = 2 });
        Assert.Equal(HttpStatusCode.Accepted, (await Upload(t, "files_quota", SmallCsv)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await Upload(t, "files_quota", SmallCsv)).StatusCode);

        var refused = await Upload(t, "files_quota", SmallCsv);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var problem = await refused.ReadJsonAsync();
        Assert.Equal(("files_per_day", 2, 2), (problem.GetProperty("quota").GetString(), problem.GetProperty("limit").GetInt32(), problem.GetProperty("usage").GetInt32()));
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(2, (await t.GetStringAsync("/tenants/files_quota/files")).Split("file_id").Length - 1);
    }

    [Fact]
    public async Task StorageMbRefusesAnUploadThatWouldPassItWith413AndKeepsWhatWasAccepted()
    {
        using var t = await TenantWithQuotas("storage_quota", new JsonObject { ["storage_mb"] = 1 });
        var half = Encoding.UTF8.GetBytes(MessyFile.Header + "\n" + new string('x', 600_000));
        Assert.Equal(HttpStatusCode.Accepted, (await Upload(t, "storage_quota", half)).StatusCode);

        var refused = await Upload(t, "storage_quota", half);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
        Assert.Equal("storage_mb", (await refused.ReadJsonAsync()).GetProperty("quota").GetString());
        Assert.Single(Directory.GetFiles(Path.Combine(_host.Home, "staging", "storage_quota", "in", "speed_tracking")));
        Assert.Empty(Directory.GetFiles(Path.Combine(_host.Home, "staging", "storage_quota", ".incoming")));
    }

    [Fact]
    public async Task RowsPerDayStopsIngestionBetweenFilesAndRefusesFurtherRuns()
    {
        using var t = await TenantWithQuotas("rows_quota", new JsonObject { ["rows_per_day"] = 3 });
        var first = await t.UploadAsync("rows_quota", "speed_tracking", "a.csv", SmallCsv);
        var second = await t.UploadAsync("rows_quota", "speed_tracking", "b.csv", SmallCsv);
        var third = await t.UploadAsync("rows_quota", "speed_tracking", "c.csv", SmallCsv);

        var run = await t.IngestAndWaitAsync("rows_quota", "speed_tracking");
        Assert.Equal("partially_succeeded", run.GetProperty("status").GetString());
        Assert.Contains("rows_per_day quota reached (limit 3, used 4)", run.GetProperty("error").GetString());
        Assert.Equal("loaded", (await t.FileAsync("rows_quota", first)).GetProperty("status").GetString());
        Assert.Equal("loaded", (await t.FileAsync("rows_quota", second)).GetProperty("status").GetString());
        var waiting = await t.FileAsync("rows_quota", third);
        Assert.Equal("staged", waiting.GetProperty("status").GetString());
        Assert.Contains("rows_per_day", waiting.GetProperty("error").GetString());

        var refused = await t.PostAsync("/tenants/rows_quota/datasets/speed_tracking/ingest", null);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("rows_per_day", (await refused.ReadJsonAsync()).GetProperty("quota").GetString());

        var usage = System.Text.Json.JsonDocument.Parse(await t.GetStringAsync("/tenants/rows_quota/usage")).RootElement.GetProperty("quotas");
        Assert.Equal(4, usage.GetProperty("rows_per_day").GetProperty("used").GetInt32());
        Assert.Equal(3, usage.GetProperty("rows_per_day").GetProperty("limit").GetInt32());
        Assert.Equal(3, usage.GetProperty("files_per_day").GetProperty("used").GetInt32());
    }

    [Fact]
    public async Task ConcurrentRunsRefusesARequestBeyondTheLimit()
    {
        using var t = await TenantWithQuotas("runs_quota", new JsonObject { ["concurrent_runs"] = 1 });
        var runs = _host.Services.GetRequiredService<global::Catalog.Runs.RunCatalog>();
        await runs.SaveAsync(new global::Catalog.Runs.RunRecord("runs_quota", "00000000000000000000000000000001", null, "manual",
            global::Catalog.Runs.RunStatus.Running, DateTimeOffset.UtcNow, Owner: "elsewhere:1:1"), default);

        var refused = await t.PostAsync("/tenants/runs_quota/datasets/speed_tracking/ingest", null);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var problem = await refused.ReadJsonAsync();
        Assert.Equal(("concurrent_runs", 1, 1), (problem.GetProperty("quota").GetString(), problem.GetProperty("limit").GetInt32(), problem.GetProperty("usage").GetInt32()));
    }
}
