using System.Net;
using System.Text;
using System.Text.Json;
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

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task ConcurrentRunsLimitsRunningRunsNotRequests(int concurrent)
    {
        var tenant = "runs_quota_" + concurrent;
        using var t = await TenantWithQuotas(tenant, new JsonObject { ["concurrent_runs"] = concurrent });
        await t.RegisterAsync(tenant, Flows.DatasetA("second").With("key_space", "other"), null);
        await t.UploadAsync(tenant, "speed_tracking", "a.csv", MessyFile.Build());
        await t.UploadAsync(tenant, "second", "b.csv", MessyFile.Build());

        var first = await t.PostAsync($"/tenants/{tenant}/datasets/speed_tracking/ingest", null);
        var second = await t.PostAsync($"/tenants/{tenant}/datasets/second/ingest", null);
        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted), (first.StatusCode, second.StatusCode));

        var a = await t.WaitForRunAsync(tenant, (await first.ReadJsonAsync()).GetProperty("run_id").GetString()!);
        var b = await t.WaitForRunAsync(tenant, (await second.ReadJsonAsync()).GetProperty("run_id").GetString()!);
        Assert.Equal(("partially_succeeded", "partially_succeeded"), (a.GetProperty("status").GetString(), b.GetProperty("status").GetString()));
        var overlap = a.GetProperty("started_at").GetDateTimeOffset() < b.GetProperty("finished_at").GetDateTimeOffset()
            && b.GetProperty("started_at").GetDateTimeOffset() < a.GetProperty("finished_at").GetDateTimeOffset();
        Assert.False(concurrent == 1 && overlap, "two runs of a tenant with concurrent_runs 1 ran at once");
    }

    [Fact]
    public async Task RequestsWaitInABoundedQueueAndAWaitingRunIsReused()
    {
        await using var host = await PlatformHost.StartAsync(new Dictionary<string, string?>
        {
            ["Apps:sleeper:Command"] = "sleep",
            ["Apps:sleeper:Arguments:0"] = "30",
        });
        using var t = await host.TenantAsync("queued");
        var agreement = Flows.AgreementWithoutApp().With("batch_app", new JsonObject { ["name"] = "sleeper", ["timeout_seconds"] = 30 });
        await t.RegisterAsync("queued", Flows.DatasetA("d0"), agreement);
        for (var i = 1; i <= 10; i++)
        {
            await t.RegisterAsync("queued", Flows.DatasetA($"d{i}"), null);
        }

        // d0's run starts and holds the tenant's one slot while its app sleeps; the others wait.
        await t.UploadAsync("queued", "d0", "a.csv", SmallCsv);
        var running = (await (await t.PostAsync("/tenants/queued/datasets/d0/ingest", null)).ReadJsonAsync()).GetProperty("run_id").GetString();
        await Eventually.UntilAsync(async () => !(await t.GetStringAsync($"/tenants/queued/runs/{running}")).Contains("\"requested\"", StringComparison.Ordinal),
            "d0's run never started");

        var waiting = new List<string>();
        for (var i = 1; i <= 10; i++)
        {
            var response = await t.PostAsync($"/tenants/queued/datasets/d{i}/ingest", null);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            waiting.Add((await response.ReadJsonAsync()).GetProperty("run_id").GetString()!);
        }

        var again = await (await t.PostAsync("/tenants/queued/datasets/d3/ingest", null)).ReadJsonAsync();
        Assert.Equal((waiting[2], true), (again.GetProperty("run_id").GetString(), again.GetProperty("reused").GetBoolean()));

        await t.RegisterAsync("queued", Flows.DatasetA("d11"), null);
        var full = await t.PostAsync("/tenants/queued/datasets/d11/ingest", null);
        Assert.Equal(HttpStatusCode.TooManyRequests, full.StatusCode);
        Assert.Equal(("waiting_runs", 10), ((await full.ReadJsonAsync()).GetProperty("quota").GetString(), (await full.ReadJsonAsync()).GetProperty("limit").GetInt32()));
    }

    [Fact]
    public async Task ParallelUploadsNeverPassFilesPerDayOrStorageAndEveryAcceptedOneIsCounted()
    {
        using var byFiles = await TenantWithQuotas("par_files", new JsonObject { ["files_per_day"] = 7 });
        using var byBytes = await TenantWithQuotas("par_bytes", new JsonObject { ["storage_mb"] = 3 });
        var file = Encoding.UTF8.GetBytes(MessyFile.Header + "\n" + new string('x', 400_000));

        foreach (var (t, tenant) in new[] { (byFiles, "par_files"), (byBytes, "par_bytes") })
        {
            var responses = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => Upload(t, tenant, file)));
            Assert.DoesNotContain(responses, r => (int)r.StatusCode >= 500);
            var accepted = responses.Count(r => r.StatusCode == HttpStatusCode.Accepted);
            Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Accepted),
                r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.TooManyRequests, HttpStatusCode.RequestEntityTooLarge }));

            var usage = JsonDocument.Parse(await t.GetStringAsync($"/tenants/{tenant}/usage")).RootElement;
            var files = JsonDocument.Parse(await t.GetStringAsync($"/tenants/{tenant}/files")).RootElement.GetProperty("files").GetArrayLength();
            Assert.Equal(accepted, files);
            Assert.Equal(accepted, usage.GetProperty("quotas").GetProperty("files_per_day").GetProperty("used").GetInt32());
            Assert.Equal(accepted * (long)file.Length, usage.GetProperty("staged_bytes").GetInt64());
            if (tenant == "par_files")
            {
                Assert.Equal(7, accepted);
            }
            else
            {
                Assert.True(accepted * (long)file.Length <= 3 * 1024 * 1024, $"{accepted} files of {file.Length} bytes passed storage_mb 3");
                Assert.Equal(7, accepted);
            }
        }
    }

    [Fact]
    public async Task ParallelEventClientsNeverPassRowsPerDayAndEveryAcceptedEventIsCountedAndStored()
    {
        using var t = await TenantWithQuotas("par_events", new JsonObject { ["rows_per_day"] = 5000 });
        await t.RegisterAsync("par_events", Flows.StreamDatasetA("live").With("key_space", "live"), null);
        var accepted = new long[20];
        var statuses = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();
        await Task.WhenAll(Enumerable.Range(0, 20).Select(async client =>
        {
            for (var request = 0; request < 5; request++)
            {
                var lines = string.Concat(Enumerable.Range(0, 100).Select(i =>
                    $"{{\"sensor_id\": {client}, \"reading_id\": {(request * 100) + i}, \"date\": \"2026-03-01\", \"time\": \"08:00:00\", \"speed_kmh\": 50, \"vehicle_class\": \"car\"}}\n"));
                var response = await t.PostAsync("/tenants/par_events/datasets/live/events", new StringContent(lines, Encoding.UTF8, "application/x-ndjson"));
                statuses.Add(response.StatusCode);
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    accepted[client] += (await response.ReadJsonAsync()).GetProperty("accepted").GetInt64();
                }
            }
        }));

        Assert.DoesNotContain(statuses, s => (int)s >= 500);
        Assert.All(statuses, s => Assert.Contains(s, new[] { HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests }));
        var total = accepted.Sum();
        Assert.Equal(5000, total);
        var usage = JsonDocument.Parse(await t.GetStringAsync("/tenants/par_events/usage")).RootElement;
        Assert.Equal(total, usage.GetProperty("quotas").GetProperty("rows_per_day").GetProperty("used").GetInt64());
        Assert.Equal(total, (await t.AllRowsAsync("par_events", "live")).Count);
    }
}
