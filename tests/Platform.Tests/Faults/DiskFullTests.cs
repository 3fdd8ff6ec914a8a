using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Tests.Batch;

namespace Platform.Tests.Faults;

/// <summary>
/// The platform's home on a small tmpfs that the test fills: every path that writes answers 507 naming the store and
/// the space left, a run that hits the full disk fails with the real error and lets go of its files, health says
/// degraded, and everything works again as soon as space is back, without a restart.
/// </summary>
public sealed class DiskFullTests
{
    private static async Task<(PlatformHost Host, HttpClient Tenant)> StartAsync(SmallDisk disk)
    {
        var home = Path.Combine(disk.Path, "home");
        var host = await PlatformHost.StartAsync(new Dictionary<string, string?> { ["Platform:Home"] = home, ["Platform:MinFreeMb"] = "4" });
        var t = await host.TenantAsync("full");
        await t.RegisterAsync("full", Flows.DatasetA(), Flows.AgreementWithoutApp());
        await t.RegisterAsync("full", Flows.StreamDatasetA("live").With("key_space", "live"), null);
        return (host, t);
    }

    private static async Task AssertInsufficientStorageAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.InsufficientStorage, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.ReadJsonAsync();
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("store").GetString()));
        Assert.True(problem.GetProperty("free_bytes").GetInt64() >= 0);
    }

    private static byte[] Readings(int rows, int first = 1) => Encoding.UTF8.GetBytes(MessyFile.Header + "\n" +
        string.Concat(Enumerable.Range(first, rows).Select(i => $"1,{i},2026-03-01,08:00:00,50,1,car,plate-{i:D12}\n")));

    [RootFact]
    public async Task UploadsEventsAndRegistrationAre507WhileTheDiskIsFullAndWorkOnceSpaceIsBack()
    {
        using var disk = SmallDisk.Mount(48);
        var (host, t) = await StartAsync(disk);
        await using var _ = host;
        using var __ = t;
        Assert.Equal(HttpStatusCode.OK, (await t.GetAsync("/healthz")).StatusCode);

        disk.Fill();
        var health = await t.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("degraded", (await health.ReadJsonAsync()).GetProperty("status").GetString());

        await AssertInsufficientStorageAsync(await t.PostAsync("/tenants/full/datasets/speed_tracking/files",
            new MultipartFormDataContent { { new ByteArrayContent(Readings(2000)), "file", "a.csv" } }));
        var incoming = Path.Combine(disk.Path, "home", "staging", "full", ".incoming");
        Assert.True(!Directory.Exists(incoming) || Directory.GetFiles(incoming).Length == 0, "a refused upload left a file behind");
        var events = string.Concat(Enumerable.Range(1, 2000).Select(i =>
            $"{{\"sensor_id\": 9, \"reading_id\": {i}, \"date\": \"2026-03-01\", \"time\": \"08:00:00\", \"speed_kmh\": 50, \"vehicle_class\": \"car\", \"plate_hash\": \"{new string('p', 200)}\"}}\n"));
        await AssertInsufficientStorageAsync(await t.PostAsync("/tenants/full/datasets/live/events", new StringContent(events, Encoding.UTF8, "application/x-ndjson")));
        await AssertInsufficientStorageAsync(await t.PutAsync("/tenants/full/datasets/elsewhere", Repo.Body(Flows.DatasetA("elsewhere").With("key_space", "elsewhere"))));

        disk.Free();
        Assert.Equal(HttpStatusCode.OK, (await t.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await t.PostAsync("/tenants/full/datasets/speed_tracking/files",
            new MultipartFormDataContent { { new ByteArrayContent(Readings(2000)), "file", "a.csv" } })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await t.PostAsync("/tenants/full/datasets/live/events", new StringContent(events, Encoding.UTF8, "application/x-ndjson"))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await t.PutAsync("/tenants/full/datasets/elsewhere", Repo.Body(Flows.DatasetA("elsewhere").With("key_space", "elsewhere")))).StatusCode);
    }

    [RootFact]
    public async Task ARunThatFillsTheDiskFailsWithTheRealErrorLetsGoOfItsFileAndTheTenantRecoversWithoutARestart()
    {
        using var disk = SmallDisk.Mount(48);
        var home = Path.Combine(disk.Path, "home");
        var stuck = new TaskCompletionSource();
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var platform = await ChildHost.StartAsync(home, output: line =>
        {
            log.Enqueue(line);
            if (line.Contains("trying again until the store takes it", StringComparison.Ordinal))
            {
                stuck.TrySetResult();
            }
        });
        using var admin = await platform.AdminAsync();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync("/tenants", Repo.Body(new JsonObject { ["id"] = "full" }))).StatusCode);
        await admin.RegisterAsync("full", Flows.DatasetA(), Flows.AgreementWithoutApp());
        var fileId = await admin.UploadAsync("full", "speed_tracking", "big.csv", Readings(60_000));

        // Room for the request and the run's start, not for the rows.
        disk.Fill(leaveBytes: 256 * 1024);
        var response = await admin.PostAsync("/tenants/full/datasets/speed_tracking/ingest", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var runId = (await response.ReadJsonAsync()).GetProperty("run_id").GetString()!;

        // The run fails, and cannot even record that while the disk is full: it keeps trying (and says so in its log).
        Assert.True(stuck.Task == await Task.WhenAny(stuck.Task, Task.Delay(TimeSpan.FromSeconds(60))), string.Join("\n", log));
        Assert.Equal("running", JsonDocument.Parse(await admin.GetStringAsync($"/tenants/full/runs/{runId}")).RootElement.GetProperty("status").GetString());

        disk.Free();
        var run = await admin.WaitForRunAsync("full", runId);
        Assert.Equal("failed", run.GetProperty("status").GetString());
        Assert.Contains("database or disk is full", run.GetProperty("error").GetString());
        var file = await admin.FileAsync("full", fileId);
        Assert.Equal("staged", file.GetProperty("status").GetString());

        // Nothing stuck: the next run takes the file and loads it, with no restart.
        var again = await admin.IngestAndWaitAsync("full", "speed_tracking");
        Assert.Equal("succeeded", again.GetProperty("status").GetString());
        Assert.Equal("loaded", (await admin.FileAsync("full", fileId)).GetProperty("status").GetString());
        Assert.Equal(60_000, (await admin.AllRowsAsync("full", "speed_tracking")).Count);
    }
}
