using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Catalog.Runs;
using Microsoft.Extensions.DependencyInjection;
using Platform.Tests.Streaming;

namespace Platform.Tests.Api;

/// <summary>
/// Pausing and resuming a dataset: while paused, runs skip it, its uploaded and dropped files stay staged and its
/// events get 409; once resumed, everything that waited is taken, once. The pause survives registering the dataset
/// again and shows in its GET, the listing, the admin overview and the log.
/// </summary>
public sealed class PauseTests : IAsyncLifetime
{
    private PlatformHost _host = null!;

    public async Task InitializeAsync() => _host = await PlatformHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public Task APausedBatchDatasetKeepsItsFilesStagedUntilItIsResumed() => PausedBatchAsync(_host);

    /// <summary>The batch case, on whatever engine <paramref name="host"/> runs (the Cassandra stand-in runs it too).</summary>
    internal static async Task PausedBatchAsync(PlatformHost host)
    {
        using var t = await host.TenantAsync("pause_batch");
        await t.RegisterAsync("pause_batch", Flows.DatasetA(), Flows.AgreementWithoutApp());
        var paused = await PostAsync(t, "/tenants/pause_batch/datasets/speed_tracking/pause");
        Assert.Equal("paused", paused.GetProperty("status").GetProperty("state").GetString());

        var fileId = await t.UploadAsync("pause_batch", "speed_tracking", "morning.csv", StreamIngestionTests.Readings(1, 500));
        var ingest = await t.PostAsync("/tenants/pause_batch/datasets/speed_tracking/ingest", null);
        Assert.Equal(HttpStatusCode.Conflict, ingest.StatusCode);
        var problem = await ingest.ReadJsonAsync();
        Assert.Equal("urn:mysimbdp:problem:dataset-paused", problem.GetProperty("type").GetString());
        Assert.Equal("paused", problem.GetProperty("state").GetString());

        // A run over every batch dataset of the tenant (what the schedule requests) passes the paused one by.
        var runs = host.Services.GetRequiredService<RunCatalog>();
        var (scheduled, _) = await runs.RequestOnceAsync("pause_batch", null, "schedule", 10, CancellationToken.None);
        var run = await t.WaitForRunAsync("pause_batch", scheduled!.RunId);
        Assert.Equal(0, run.GetProperty("files").GetInt32());
        Assert.Equal("staged", (await t.FileAsync("pause_batch", fileId)).GetProperty("status").GetString());
        Assert.Empty(await t.AllRowsAsync("pause_batch", "speed_tracking"));

        // Resuming requests the run that takes what waited.
        var resumed = await PostAsync(t, "/tenants/pause_batch/datasets/speed_tracking/resume");
        Assert.Equal("active", resumed.GetProperty("status").GetProperty("state").GetString());
        var rows = await t.WaitForRowsAsync("pause_batch", "speed_tracking", 500);
        Assert.Equal(500, rows.Count);
        var file = await Eventually.UntilAsync(() => t.FileAsync("pause_batch", fileId), f => f.GetProperty("status").GetString() == "loaded",
            f => $"the file that waited was not loaded: {f}");
        Assert.Equal(500, file.GetProperty("rows_loaded").GetInt64());
        var triggers = JsonDocument.Parse(await t.GetStringAsync("/tenants/pause_batch/runs")).RootElement.GetProperty("runs").EnumerateArray()
            .Select(r => r.GetProperty("trigger").GetString()).ToList();
        Assert.Contains("resume", triggers);
    }

    [Fact]
    public async Task APausedStreamDatasetRefusesEventsAndLeavesDroppedFilesThenTakesThemOnResume()
    {
        using var t = await _host.TenantAsync("pause_stream");
        await t.RegisterAsync("pause_stream", Flows.StreamDatasetA("held").With("key_space", "held_space"), Flows.AgreementWithoutApp());
        await t.RegisterAsync("pause_stream", Flows.StreamDatasetA("flowing").With("key_space", "flowing_space"), null);
        await PostAsync(t, "/tenants/pause_stream/datasets/held/pause");

        var events = await t.PostAsync("/tenants/pause_stream/datasets/held/events",
            new StringContent("""{"sensor_id":1,"reading_id":1,"date":"2026-03-01","time":"08:00:00","speed_kmh":50.5,"lane":1,"vehicle_class":"car","plate_hash":"h1"}""",
                Encoding.UTF8, "application/x-ndjson"));
        Assert.Equal(HttpStatusCode.Conflict, events.StatusCode);
        Assert.Equal("urn:mysimbdp:problem:dataset-paused", (await events.ReadJsonAsync()).GetProperty("type").GetString());

        // One scan records both files; the other dataset's rows arriving shows the scan passed the paused one by.
        Flows.DropFile(_host.Home, "pause_stream", Path.Combine("in", "held"), "held.csv", StreamIngestionTests.Readings(1, 300));
        Flows.DropFile(_host.Home, "pause_stream", Path.Combine("in", "flowing"), "flowing.csv", StreamIngestionTests.Readings(2, 200));
        await t.WaitForRowsAsync("pause_stream", "flowing", 200);
        var held = await Eventually.UntilAsync(async () => (await FilesAsync(t, "pause_stream")).SingleOrDefault(f => f.GetProperty("name").GetString() == "held.csv"),
            f => f.ValueKind == JsonValueKind.Object, _ => "the paused dataset's file was never recorded");
        Assert.Equal("staged", held.GetProperty("status").GetString());
        Assert.Empty(await t.AllRowsAsync("pause_stream", "held"));

        await PostAsync(t, "/tenants/pause_stream/datasets/held/resume");
        var rows = await t.WaitForRowsAsync("pause_stream", "held", 300);
        Assert.Equal(Enumerable.Range(1, 300), rows.Select(r => r.GetProperty("reading_id").GetInt32()).Order());
        Assert.Equal(HttpStatusCode.Accepted, (await t.PostAsync("/tenants/pause_stream/datasets/held/events",
            new StringContent("""{"sensor_id":1,"reading_id":301,"date":"2026-03-01","time":"08:00:00","speed_kmh":50.5,"lane":1,"vehicle_class":"car","plate_hash":"h1"}""",
                Encoding.UTF8, "application/x-ndjson"))).StatusCode);
        await t.WaitForRowsAsync("pause_stream", "held", 301);
    }

    [Fact]
    public async Task ThePauseShowsEverywhereAndOutlivesARegistration()
    {
        using var t = await _host.TenantAsync("pause_shown");
        await t.RegisterAsync("pause_shown", Flows.DatasetA(), Flows.AgreementWithoutApp());
        var before = JsonNode.Parse(await t.GetStringAsync("/tenants/pause_shown/datasets/speed_tracking"))!.AsObject();
        Assert.Equal("active", before["status"]!["state"]!.GetValue<string>());

        await PostAsync(t, "/tenants/pause_shown/datasets/speed_tracking/pause");
        var again = await PostAsync(t, "/tenants/pause_shown/datasets/speed_tracking/pause");
        Assert.Equal("paused", again.GetProperty("status").GetProperty("state").GetString());

        // The document as GET gives it, status included, registers again as it is; the pause stays.
        var document = JsonNode.Parse(await t.GetStringAsync("/tenants/pause_shown/datasets/speed_tracking"))!.AsObject();
        Assert.Equal("paused", document["status"]!["state"]!.GetValue<string>());
        Assert.NotNull(document["status"]!["paused_at"]);
        var put = await t.PutAsync("/tenants/pause_shown/datasets/speed_tracking", new StringContent(document.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal("paused", (await put.ReadJsonAsync()).GetProperty("status").GetProperty("state").GetString());
        document.Remove("status");
        Assert.True(JsonNode.DeepEquals(Flows.DatasetA(), document));

        var listed = JsonDocument.Parse(await t.GetStringAsync("/tenants/pause_shown/datasets")).RootElement.GetProperty("datasets")[0];
        Assert.Equal("paused", listed.GetProperty("status").GetProperty("state").GetString());
        using var admin = await _host.AdminAsync();
        var overview = JsonDocument.Parse(await admin.GetStringAsync("/admin/tenants")).RootElement.GetProperty("tenants").EnumerateArray()
            .Single(o => o.GetProperty("id").GetString() == "pause_shown");
        Assert.Equal(["speed_tracking"], overview.GetProperty("paused_datasets").EnumerateArray().Select(d => d.GetString()));

        await PostAsync(t, "/tenants/pause_shown/datasets/speed_tracking/resume");
        foreach (var action in new[] { "dataset.paused", "dataset.resumed" })
        {
            await Eventually.UntilAsync(async () => JsonDocument.Parse(await admin.GetStringAsync($"/admin/logs?tenant=pause_shown&action={action}")).RootElement.GetProperty("events").GetArrayLength(),
                n => n == 1, n => $"{n} {action} events in the log, not 1 (a second pause of a paused dataset logs nothing)");
        }

        Assert.Equal(HttpStatusCode.NotFound, (await t.PostAsync("/tenants/pause_shown/datasets/nothing/pause", null)).StatusCode);
    }

    private static async Task<JsonElement> PostAsync(HttpClient t, string url)
    {
        var response = await t.PostAsync(url, null);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.ReadJsonAsync();
    }

    private static async Task<List<JsonElement>> FilesAsync(HttpClient t, string tenant) =>
        JsonDocument.Parse(await t.GetStringAsync($"/tenants/{tenant}/files")).RootElement.GetProperty("files").EnumerateArray().Select(f => f.Clone()).ToList();
}
