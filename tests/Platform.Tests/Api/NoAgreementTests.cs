using System.Net;
using System.Text;
using System.Text.Json;
using Platform.Tests.Streaming;

namespace Platform.Tests.Api;

/// <summary>
/// A tenant without a service agreement has no retention, so nothing of it is ingested, on any path: uploads are
/// staged, runs and events are 409, streamed files wait; once the agreement is registered, what waited is taken.
/// </summary>
public sealed class NoAgreementTests
{
    [Fact]
    public async Task WithoutAnAgreementNothingIsIngestedOnAnyPathAndWithOneWhatWaitedIsTaken()
    {
        await using var host = await PlatformHost.StartAsync(new Dictionary<string, string?> { ["Stream:RescanSeconds"] = "1" });
        using var t = await host.TenantAsync("no_deal");
        await t.RegisterAsync("no_deal", Flows.DatasetA(), null);
        await t.RegisterAsync("no_deal", Flows.StreamDatasetA("live").With("key_space", "live"), null);

        var batchFile = await t.UploadAsync("no_deal", "speed_tracking", "a.csv", StreamIngestionTests.Readings(1, 10));
        var streamFile = await t.UploadAsync("no_deal", "live", "b.csv", StreamIngestionTests.Readings(2, 10));
        var ingest = await t.PostAsync("/tenants/no_deal/datasets/speed_tracking/ingest", null);
        var events = await t.PostAsync("/tenants/no_deal/datasets/live/events",
            new StringContent("""{"sensor_id": 3, "reading_id": 1, "date": "2026-03-01", "time": "08:00:00", "speed_kmh": 50, "vehicle_class": "car"}""", Encoding.UTF8, "application/x-ndjson"));
        foreach (var refused in new[] { ingest, events })
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Contains("has no service agreement", (await refused.ReadJsonAsync()).GetProperty("detail").GetString());
        }

        // The stream manager saw the streamed file and left it waiting, saying why.
        using var admin = await host.AdminAsync();
        await Eventually.UntilAsync(async () => (await admin.GetStringAsync("/admin/logs?tenant=no_deal&level=warn")).Contains("no service agreement", StringComparison.Ordinal),
            "the stream manager never said why the file waits");

        Assert.Equal("staged", (await t.FileAsync("no_deal", streamFile)).GetProperty("status").GetString());
        Assert.Equal("staged", (await t.FileAsync("no_deal", batchFile)).GetProperty("status").GetString());

        await t.PutAsync("/tenants/no_deal/agreement", Repo.Body(Flows.AgreementWithoutApp().With("client", "no_deal")));
        Assert.Equal(10, (await t.WaitForRowsAsync("no_deal", "live", 10)).Count);
        var run = await t.IngestAndWaitAsync("no_deal", "speed_tracking");
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.Equal("loaded", (await t.FileAsync("no_deal", batchFile)).GetProperty("status").GetString());
    }
}
