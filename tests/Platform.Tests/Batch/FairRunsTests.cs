using System.Text.Json;
using Platform.Tests.Streaming;

namespace Platform.Tests.Batch;

/// <summary>
/// Runs are shared between tenants: with one run at a time in all, a tenant that requested several runs takes turns
/// with a tenant that requested one after them, instead of keeping the slot until its last run.
/// </summary>
public sealed class FairRunsTests
{
    [Fact]
    public async Task ATenantWithManyRunsTakesTurnsWithATenantWithOne()
    {
        await using var host = await PlatformHost.StartAsync(new Dictionary<string, string?> { ["Batch:MaxParallelTenants"] = "1" });
        using var flood = await host.TenantAsync("flooding");
        for (var i = 0; i < 3; i++)
        {
            await flood.RegisterAsync("flooding", Flows.DatasetA("part" + i).With("key_space", "space" + i), i == 0 ? Flows.AgreementWithoutApp() : null);
            await flood.UploadAsync("flooding", "part" + i, "big.csv", StreamIngestionTests.Readings(i + 1, 40_000));
        }

        using var small = await host.TenantAsync("small");
        await small.RegisterAsync("small", Flows.DatasetA(), Flows.AgreementWithoutApp());
        await small.UploadAsync("small", "speed_tracking", "little.csv", StreamIngestionTests.Readings(9, 10));

        var floodRuns = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var requested = await flood.PostAsync($"/tenants/flooding/datasets/part{i}/ingest", null);
            floodRuns.Add((await requested.ReadJsonAsync()).GetProperty("run_id").GetString()!);
        }

        // The small tenant asks once the flooding tenant holds the only slot.
        await Eventually.UntilAsync(() => RunAsync(flood, "flooding", floodRuns[0]), r => r.GetProperty("status").GetString() != "requested",
            r => "the first run never started: " + r, every: TimeSpan.FromMilliseconds(5));
        var smallRun = (await (await small.PostAsync("/tenants/small/datasets/speed_tracking/ingest", null)).ReadJsonAsync()).GetProperty("run_id").GetString()!;

        var smallStarted = (await small.WaitForRunAsync("small", smallRun, TimeSpan.FromMinutes(2))).GetProperty("started_at").GetDateTimeOffset();
        var floodStarted = new List<DateTimeOffset>();
        foreach (var run in floodRuns)
        {
            floodStarted.Add((await flood.WaitForRunAsync("flooding", run, TimeSpan.FromMinutes(2))).GetProperty("started_at").GetDateTimeOffset());
        }

        var last = floodStarted.Max();
        Assert.True(smallStarted < last, $"the small tenant's run started at {smallStarted:O}, after all of the other's ({string.Join(", ", floodStarted.Order().Select(s => s.ToString("O")))})");
    }

    private static async Task<JsonElement> RunAsync(HttpClient http, string tenant, string runId) =>
        JsonDocument.Parse(await http.GetStringAsync($"/tenants/{tenant}/runs/{runId}")).RootElement;
}
