using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Tests.Api;

/// <summary>
/// Quarantine replay after the cause is fixed: the seed file's rows (read under the file's own header, whatever
/// its column order) and an events request's rows load once the rule is corrected, the others stay with their
/// reason, and a second replay changes nothing.
/// </summary>
public sealed class QuarantineReplayTests : IAsyncLifetime
{
    private PlatformHost _host = null!;

    public async Task InitializeAsync() => _host = await PlatformHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static JsonObject WithSpeedRange(JsonObject dataset, int min, int max)
    {
        dataset["quality"]!["validity"]!["speed_kmh"] = new JsonObject { ["min"] = min, ["max"] = max };
        return dataset;
    }

    private static async Task<JsonElement> ReplayAsync(HttpClient http, string tenant, string dataset, string body = "{}")
    {
        var answer = await http.PostAsync($"/tenants/{tenant}/datasets/{dataset}/quarantine/replay", new StringContent(body, Encoding.UTF8, "application/json"));
        var json = await answer.ReadJsonAsync();
        Assert.True(answer.StatusCode == HttpStatusCode.OK, json.ToString());
        return json;
    }

    private static (long Replayed, long Loaded, long Still) Counts(JsonElement result) =>
        (result.GetProperty("replayed").GetInt64(), result.GetProperty("loaded").GetInt64(), result.GetProperty("still_quarantined").GetInt64());

    [Fact]
    public async Task FixedRowsOfTheSeedFileLoadOnceAndTheOthersKeepTheirReason()
    {
        using var t = await _host.TenantAsync("replay_a");
        await t.RegisterAsync("replay_a", Flows.DatasetA(), Flows.AgreementWithoutApp());
        var fileId = await t.UploadAsync("replay_a", "speed_tracking", "readings.csv", File.ReadAllBytes(Repo.Path("schemas", "examples", "client_a", "readings.csv")));

        // The same rows with the columns in another order: replay must read them under this file's header.
        var shuffled = "vehicle_class,speed_kmh,time,date,reading_id,sensor_id\ncar,-7.5,09:00:00,2026-03-02,1,500\nbus,30,09:00:01,2026-03-02,2,500\n";
        var shuffledId = await t.UploadAsync("replay_a", "speed_tracking", "shuffled.csv", Encoding.UTF8.GetBytes(shuffled));
        await t.IngestAndWaitAsync("replay_a", "speed_tracking");
        Assert.Equal(3, (await t.AllRowsAsync("replay_a", "speed_tracking", "quarantine")).Count);

        // Nothing fixed yet: replayed, nothing loads, reasons as before.
        Assert.Equal((3, 0, 3), Counts(await ReplayAsync(t, "replay_a", "speed_tracking")));

        // Negative speeds are allowed from now on (the 13-digit reading id still does not fit the int column).
        await t.RegisterAsync("replay_a", WithSpeedRange(Flows.DatasetA(), -20, 400), null);
        var result = await ReplayAsync(t, "replay_a", "speed_tracking");
        Assert.Equal((3, 2, 1), Counts(result));
        var left = Assert.Single(await t.AllRowsAsync("replay_a", "speed_tracking", "quarantine"));
        Assert.Equal((fileId, 10L, "type_range"), (left.GetProperty("file_id").GetString(), left.GetProperty("line").GetInt64(), left.GetProperty("rule").GetString()));
        var fixedRow = Assert.Single(await t.AllRowsAsync("replay_a", "speed_tracking", query: "&sensor_id=102&reading_id=3"));
        Assert.Equal(-12.0, fixedRow.GetProperty("speed_kmh").GetDouble());
        var shuffledRow = Assert.Single(await t.AllRowsAsync("replay_a", "speed_tracking", query: "&sensor_id=500&reading_id=1"));
        Assert.Equal((-7.5, "car", "2026-03-02"), (shuffledRow.GetProperty("speed_kmh").GetDouble(), shuffledRow.GetProperty("vehicle_class").GetString(), shuffledRow.GetProperty("date").GetString()));
        Assert.Contains(result.GetProperty("sources").EnumerateArray(), s => s.GetProperty("file_id").GetString() == shuffledId && s.GetProperty("loaded").GetInt64() == 1);

        // Again: nothing more to load, and the rows are as they were.
        var rows = await t.AllRowsAsync("replay_a", "speed_tracking");
        Assert.Equal((1, 0, 1), Counts(await ReplayAsync(t, "replay_a", "speed_tracking")));
        Assert.Equal(rows.Select(r => r.ToString()), (await t.AllRowsAsync("replay_a", "speed_tracking")).Select(r => r.ToString()));
        Assert.Single(await t.AllRowsAsync("replay_a", "speed_tracking", "quarantine"));

        var log = await t.GetFromJsonAsync<JsonElement>("/tenants/replay_a/logs?action=quarantine.replayed");
        Assert.Equal(3, log.GetProperty("events").GetArrayLength());
    }

    [Fact]
    public async Task EventsLoadAfterTheirRuleIsFixedAndFiltersChooseWhatIsReplayed()
    {
        using var t = await _host.TenantAsync("replay_e");
        await t.RegisterAsync("replay_e", Flows.StreamDatasetA("live"), Flows.AgreementWithoutApp());
        var body = """
            {"sensor_id": 7, "reading_id": 1, "date": "2026-03-01", "time": "08:00:00", "speed_kmh": 52.5, "vehicle_class": "car"}
            {"sensor_id": 7, "reading_id": 2, "date": "2026-03-01", "time": "08:00:03", "speed_kmh": 900, "vehicle_class": "car"}
            {"sensor_id": 7, "reading_id": 3, "date": "2026-03-01", "time": "08:00:04", "speed_kmh": 10, "vehicle_class": "spaceship"}
            """;
        var posted = await t.PostAsync("/tenants/replay_e/datasets/live/events", new StringContent(body, Encoding.UTF8, "application/x-ndjson"));
        Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        var requestId = (await posted.ReadJsonAsync()).GetProperty("request_id").GetString();
        await t.RegisterAsync("replay_e", WithSpeedRange(Flows.StreamDatasetA("live"), 0, 1000), null);

        // A window before the events were quarantined holds none of them.
        Assert.Equal((0, 0, 0), Counts(await ReplayAsync(t, "replay_e", "live", """{"until": "2020-01-01T00:00:00Z"}""")));
        var result = await ReplayAsync(t, "replay_e", "live", $$"""{"file_id": "{{requestId}}", "since": "2020-01-01T00:00:00Z"}""");
        Assert.Equal((2, 1, 1), Counts(result));
        Assert.Equal("json", result.GetProperty("sources")[0].GetProperty("format").GetString());
        Assert.Equal(900, Assert.Single(await t.AllRowsAsync("replay_e", "live", query: "&sensor_id=7&reading_id=2")).GetProperty("speed_kmh").GetDouble());
        var left = Assert.Single(await t.AllRowsAsync("replay_e", "live", "quarantine"));
        Assert.Equal(3, left.GetProperty("line").GetInt64());

        // Mistakes in the filters are named.
        foreach (var (filters, field) in new[] { ("""{"since": "yesterday"}""", "since"), ("""{"files": "x"}""", "files"), ("""{"file_id": 3}""", "file_id") })
        {
            var answer = await t.PostAsync("/tenants/replay_e/datasets/live/quarantine/replay", new StringContent(filters, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
            Assert.Equal(field, (await answer.ReadJsonAsync()).GetProperty("errors")[0].GetProperty("field").GetString());
        }
    }
}
