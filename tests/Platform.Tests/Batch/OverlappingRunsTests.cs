using System.Text.Json;
using Catalog.Datasets;
using Catalog.Files;
using Ingestion.Claims;
using Ingestion.Pipeline;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.Tests.Batch;

/// <summary>
/// A run requested while another run already has the dataset's files (a scheduled run that started first) answers for
/// those files too: <c>upload</c> then <c>ingest --wait</c> says what became of the upload whichever run took it.
/// </summary>
public sealed class OverlappingRunsTests : IAsyncLifetime
{
    private readonly string _gate = Path.Combine(Path.GetTempPath(), "mysimbdp-tests", "gate-" + Guid.NewGuid().ToString("N"));
    private PlatformHost _host = null!;

    public async Task InitializeAsync()
    {
        // An app that holds its run until the test opens the gate, then copies in to out.
        _host = await PlatformHost.StartAsync(new Dictionary<string, string?>
        {
            ["Apps:gated:Command"] = "bash",
            ["Apps:gated:Arguments:0"] = "-c",
            ["Apps:gated:Arguments:1"] = $"while [ ! -e '{_gate}' ]; do sleep 0.05; done; mkdir -p \"$SOURCE_PATH/$CLIENT_ID/out\" && cp -r \"$SOURCE_PATH/$CLIENT_ID/in/.\" \"$SOURCE_PATH/$CLIENT_ID/out/\"",
        });
    }

    public async Task DisposeAsync()
    {
        File.Delete(_gate);
        await _host.DisposeAsync();
    }

    private static async Task<string> RequestAsync(HttpClient t, string tenant)
    {
        var response = await t.PostAsync($"/tenants/{tenant}/datasets/speed_tracking/ingest", null);
        var requested = await response.ReadJsonAsync();
        Assert.False(requested.GetProperty("reused").GetBoolean(), requested.ToString());
        return requested.GetProperty("run_id").GetString()!;
    }

    private static async Task<JsonElement> RunAsync(HttpClient t, string tenant, string runId) =>
        JsonDocument.Parse(await t.GetStringAsync($"/tenants/{tenant}/runs/{runId}")).RootElement;

    [Fact]
    public async Task ARunThatWaitedForTheSlotReportsTheFileTheRunBeforeItTook()
    {
        using var t = await _host.TenantAsync("overlap_serial");
        await t.RegisterAsync("overlap_serial", Flows.DatasetA(), Flows.AgreementWithoutApp()
            .With("batch_app", new System.Text.Json.Nodes.JsonObject { ["name"] = "gated", ["timeout_seconds"] = 120 }));
        var fileId = await t.UploadAsync("overlap_serial", "speed_tracking", "a.csv", MessyFile.Build());

        // The first run claims the file and waits in the app; the second is requested meanwhile and waits for the slot.
        var first = await RequestAsync(t, "overlap_serial");
        await Eventually.UntilAsync(() => t.FileAsync("overlap_serial", fileId), f => f.GetProperty("status").GetString() == "processing",
            f => $"the first run did not claim the file: {f}");
        var second = await RequestAsync(t, "overlap_serial");
        Assert.Equal("requested", (await RunAsync(t, "overlap_serial", second)).GetProperty("status").GetString());
        await File.WriteAllTextAsync(_gate, "open");

        var byFirst = await t.WaitForRunAsync("overlap_serial", first);
        var bySecond = await t.WaitForRunAsync("overlap_serial", second);
        var file = await t.FileAsync("overlap_serial", fileId);
        Assert.Equal(first, file.GetProperty("run_id").GetString());
        var own = Assert.Single(byFirst.GetProperty("file_results").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, own.GetProperty("ingested_by").ValueKind);

        var reported = Assert.Single(bySecond.GetProperty("file_results").EnumerateArray());
        Assert.Equal(fileId, reported.GetProperty("file_id").GetString());
        Assert.Equal(first, reported.GetProperty("ingested_by").GetString());
        Assert.Equal("partially_loaded", reported.GetProperty("status").GetString());
        Assert.Equal(file.GetProperty("rows_loaded").GetInt64(), reported.GetProperty("rows_loaded").GetInt64());
        Assert.Equal(byFirst.GetProperty("status").GetString(), bySecond.GetProperty("status").GetString());
        Assert.Equal(byFirst.GetProperty("rows_loaded").GetInt64(), bySecond.GetProperty("rows_loaded").GetInt64());
        Assert.Equal(1, bySecond.GetProperty("files").GetInt32());
    }

    [Fact]
    public async Task ARunWaitsForAFileAnotherWorkerIsIngestingAndReportsIt()
    {
        using var t = await _host.TenantAsync("overlap_parallel");
        await t.RegisterAsync("overlap_parallel", Flows.DatasetA(), Flows.AgreementWithoutApp());
        var fileId = await t.UploadAsync("overlap_parallel", "speed_tracking", "a.csv", MessyFile.Build());

        // Another worker (here the test, as a batch manager in another process would) claims the file before the run is requested.
        var files = _host.Services.GetRequiredService<FileCatalog>();
        var staged = await Eventually.UntilAsync(() => files.GetAsync("overlap_parallel", fileId, CancellationToken.None), f => f is not null, _ => "no record");
        var claimed = await _host.Services.GetRequiredService<FileClaims>().TryClaimAsync(staged!, "elsewhere", CancellationToken.None);
        Assert.NotNull(claimed);
        var runId = await RequestAsync(t, "overlap_parallel");
        await Eventually.UntilAsync(() => RunAsync(t, "overlap_parallel", runId), r => r.GetProperty("status").GetString() == "running",
            r => $"the run did not start: {r}");

        // The other worker ingests the file for real; only then can the run end, and it reports the file as the other's.
        var dataset = await _host.Services.GetRequiredService<DatasetCatalog>().GetAsync("overlap_parallel", "speed_tracking", CancellationToken.None);
        var ingested = await _host.Services.GetRequiredService<StagedFileIngestor>().IngestClaimedAsync(claimed!, dataset!, null, null, null, CancellationToken.None);
        var run = await t.WaitForRunAsync("overlap_parallel", runId);
        var reported = Assert.Single(run.GetProperty("file_results").EnumerateArray());
        Assert.Equal("elsewhere", reported.GetProperty("ingested_by").GetString());
        Assert.Equal(ingested.RowsLoaded, reported.GetProperty("rows_loaded").GetInt64());
        Assert.Equal(ingested.RowsLoaded, run.GetProperty("rows_loaded").GetInt64());
        Assert.Equal("partially_succeeded", run.GetProperty("status").GetString());
        Assert.True(run.GetProperty("started_at").GetDateTimeOffset() < ingested.FinishedAt, "the run started only after the file was done, so it did not wait");
    }
}
