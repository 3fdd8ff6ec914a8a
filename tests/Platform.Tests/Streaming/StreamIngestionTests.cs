using System.Net;
using System.Text;
using System.Text.Json;
using Catalog.Usage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Platform.Tests.Streaming;

/// <summary>
/// The near-real-time path on the embedded platform: files renamed into a tenant's staging folder and events
/// posted to the API become rows without any ingest call, with the same checks and quarantine as batches.
/// </summary>
public sealed class StreamIngestionTests : IAsyncLifetime
{
    private readonly ManualClock _rateClock = new();
    private PlatformHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await PlatformHost.StartAsync(
            new Dictionary<string, string?> { ["Stream:MaxEventsRequestMb"] = "1" },
            services: s => s.Replace(ServiceDescriptor.Singleton(new EventRateLimiter(_rateClock))));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary><paramref name="count"/> good readings of one sensor, with the header line.</summary>
    public static byte[] Readings(int sensor, int count, int first = 1)
    {
        var text = new StringBuilder("sensor_id,reading_id,date,time,speed_kmh,lane,vehicle_class,plate_hash\n");
        for (var i = first; i < first + count; i++)
        {
            text.Append(sensor).Append(',').Append(i).Append(",2026-03-01,08:00:00,").Append(40 + (i % 50)).Append(".5,1,car,h").Append(i).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private async Task<HttpClient> StreamTenantAsync(string tenant, params string[] datasets)
    {
        var http = await _host.TenantAsync(tenant);
        foreach (var (name, i) in datasets.Select((d, i) => (d, i)))
        {
            await http.RegisterAsync(tenant, Flows.StreamDatasetA(name).With("key_space", "space" + i), i == 0 ? Flows.AgreementWithoutApp() : null);
        }

        return http;
    }

    [Fact]
    public async Task AFileRenamedIntoInIsStreamedWithoutAnIngestCall()
    {
        using var t = await StreamTenantAsync("drop_one", "speed_tracking");
        Flows.DropFile(_host.Home, "drop_one", "in", "morning.csv", Readings(1, 1000));

        var rows = await t.WaitForRowsAsync("drop_one", "speed_tracking", 1000);

        Assert.Equal(Enumerable.Range(1, 1000), rows.Select(r => r.GetProperty("reading_id").GetInt32()).Order());
        var files = JsonDocument.Parse(await t.GetStringAsync("/tenants/drop_one/files")).RootElement.GetProperty("files").EnumerateArray().ToList();
        var file = Assert.Single(files);
        Assert.Equal("morning.csv", file.GetProperty("name").GetString());
        Assert.Equal("loaded", file.GetProperty("status").GetString());
        Assert.Equal(1000, file.GetProperty("rows_loaded").GetInt64());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_host.Home, "staging", "drop_one", "in")));
    }

    [Fact]
    public async Task SeveralDatasetsTakeFilesFromTheirSubfoldersAndARootFileWithoutADefaultWaits()
    {
        using var t = await StreamTenantAsync("drop_many", "north", "south");
        var root = Flows.DropFile(_host.Home, "drop_many", "in", "which.csv", Readings(9, 5));
        Flows.DropFile(_host.Home, "drop_many", Path.Combine("in", "south"), "s.csv", Readings(2, 30));

        await t.WaitForRowsAsync("drop_many", "south", 30);

        Assert.Empty(await t.AllRowsAsync("drop_many", "north"));
        Assert.True(File.Exists(root), "a file whose dataset is unknown is left where it is");
        var files = JsonDocument.Parse(await t.GetStringAsync("/tenants/drop_many/files")).RootElement.GetProperty("files");
        Assert.Equal(["s.csv"], files.EnumerateArray().Select(f => f.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task AFileStillBeingWrittenIsLeftAloneUntilItIsRenamed()
    {
        using var t = await StreamTenantAsync("drop_slow", "speed_tracking");
        var folder = Path.Combine(_host.Home, "staging", "drop_slow", "in");
        Directory.CreateDirectory(folder);
        var partial = Readings(3, 200);
        var writing = Path.Combine(folder, "big.csv.part");
        await File.WriteAllBytesAsync(writing, partial[..(partial.Length / 2)]);
        await File.WriteAllBytesAsync(Path.Combine(folder, ".hidden.csv"), Readings(4, 3));
        Flows.DropFile(_host.Home, "drop_slow", "in", "small.csv", Readings(5, 10));
        await t.WaitForRowsAsync("drop_slow", "speed_tracking", 10);

        Assert.True(File.Exists(writing));
        Assert.Equal(10, (await t.AllRowsAsync("drop_slow", "speed_tracking")).Count);
        await using (var append = new FileStream(writing, FileMode.Append))
        {
            await append.WriteAsync(partial.AsMemory(partial.Length / 2));
        }

        File.Move(writing, Path.Combine(folder, "big.csv"));
        var rows = await t.WaitForRowsAsync("drop_slow", "speed_tracking", 210);
        Assert.Equal(200, rows.Count(r => r.GetProperty("sensor_id").GetInt32() == 3));
        Assert.DoesNotContain(rows, r => r.GetProperty("sensor_id").GetInt32() == 4);
    }

    [Fact]
    public async Task FilesDroppedWhileThePlatformWasDownAndUploadsToAStreamDatasetAreStreamed()
    {
        using (var t = await StreamTenantAsync("drop_down", "speed_tracking"))
        {
            await t.UploadAsync("drop_down", "speed_tracking", "uploaded.csv", Readings(6, 50));
            await t.WaitForRowsAsync("drop_down", "speed_tracking", 50);
        }

        await _host.RestartAsync(() => Flows.DropFile(_host.Home, "drop_down", "in", "while-down.csv", Readings(7, 70)));
        using var admin = await _host.AdminAsync();
        var rows = await admin.WaitForRowsAsync("drop_down", "speed_tracking", 120);
        Assert.Equal(70, rows.Count(r => r.GetProperty("sensor_id").GetInt32() == 7));
    }

    [Fact]
    public async Task EventsAreReadableWhenTheRequestReturnsAndBadOnesAreQuarantinedWithTheirLine()
    {
        using var t = await StreamTenantAsync("events_ok", "speed_tracking");
        var body = string.Join('\n',
            """{"sensor_id": 1, "reading_id": 1, "date": "2026-03-01", "time": "08:00:00", "speed_kmh": 50.5, "lane": 1, "vehicle_class": "car", "plate_hash": "a"}""",
            """{"sensor_id": 1, "reading_id": 2, "date": "2026-03-01", "time": "08:00:01", "speed_kmh": 900, "vehicle_class": "car"}""",
            "",
            """{"sensor_id": 1, "reading_id": 3, "date": "2026-03-01", "time": "08:00:02", "speed_kmh": 61, "vehicle_class": "bus"}""",
            """{"sensor_id": "one", "reading_id": 4""",
            """{"sensor_id": 1, "reading_id": 5, "date": "2026-03-01", "time": "08:00:03", "speed_kmh": 70, "vehicle_class": "truck", "lane": null}""");

        var response = await t.PostAsync("/tenants/events_ok/datasets/speed_tracking/events", new StringContent(body, Encoding.UTF8, "application/x-ndjson"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var result = await response.ReadJsonAsync();
        Assert.Equal(3, result.GetProperty("accepted").GetInt64());
        Assert.Equal(2, result.GetProperty("rejected").GetInt64());
        var requestId = result.GetProperty("request_id").GetString()!;
        Assert.Equal([2L, 5L], result.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("line").GetInt64()));
        Assert.Equal("validity", result.GetProperty("errors")[0].GetProperty("rule").GetString());

        // The embedded transport answers once the consumer wrote the events: no polling.
        var rows = await t.AllRowsAsync("events_ok", "speed_tracking");
        Assert.Equal([1, 3, 5], rows.Select(r => r.GetProperty("reading_id").GetInt32()).Order());
        var quarantine = await t.AllRowsAsync("events_ok", "speed_tracking", "quarantine");
        Assert.Equal(2, quarantine.Count);
        Assert.All(quarantine, q => Assert.Equal(requestId, q.GetProperty("file_id").GetString()));
        Assert.Contains(quarantine, q => q.GetProperty("line").GetInt64() == 2 && q.GetProperty("column").GetString() == "speed_kmh");
    }

    [Fact]
    public async Task EventsThatCannotBeTakenAreRefusedWithTheReason()
    {
        using var t = await StreamTenantAsync("events_no", "speed_tracking");
        await t.RegisterAsync("events_no", Flows.DatasetA("batch_only").With("key_space", "other"), null);
        using var stranger = await _host.TenantAsync("events_stranger");
        var one = """{"sensor_id": 1, "reading_id": 1, "date": "2026-03-01", "time": "08:00:00", "speed_kmh": 50, "vehicle_class": "car"}""";

        async Task<(HttpStatusCode Status, JsonElement Problem)> Post(HttpClient http, string dataset, string body, string mediaType = "application/x-ndjson")
        {
            var response = await http.PostAsync($"/tenants/events_no/datasets/{dataset}/events", new StringContent(body, Encoding.UTF8, mediaType));
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, text.Length > 0 ? JsonDocument.Parse(text).RootElement : default);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await Post(t, "nothing", one)).Status);
        var batchOnly = await Post(t, "batch_only", one);
        Assert.Equal(HttpStatusCode.Conflict, batchOnly.Status);
        Assert.Contains("ingestion_mode", batchOnly.Problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await Post(t, "speed_tracking", "a,b\n1,2", "text/csv")).Status);
        var empty = await Post(t, "speed_tracking", "\n  \n");
        Assert.Equal(HttpStatusCode.BadRequest, empty.Status);
        Assert.Equal("body", empty.Problem.GetProperty("errors")[0].GetProperty("field").GetString());
        var huge = await Post(t, "speed_tracking", string.Join('\n', Enumerable.Repeat(one, 12_000)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.Status);
        Assert.Equal("max_events_request_mb", huge.Problem.GetProperty("quota").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await Post(stranger, "speed_tracking", one)).Status);
        Assert.Empty(await t.AllRowsAsync("events_no", "speed_tracking"));
    }

    [Fact]
    public async Task EventsOverTheTenantsRateAreRefusedWith429AndRetryAfterAndTakenOnceTheRateAllows()
    {
        var t = await _host.TenantAsync("events_fast");
        using var _ = t;
        var agreement = Flows.AgreementWithoutApp().With("quotas", new System.Text.Json.Nodes.JsonObject { ["events_per_second"] = 4 });
        await t.RegisterAsync("events_fast", Flows.StreamDatasetA(), agreement);
        string Events(int first, int count) => string.Join('\n', Enumerable.Range(first, count).Select(i =>
            $$"""{"sensor_id": 1, "reading_id": {{i}}, "date": "2026-03-01", "time": "08:00:00", "speed_kmh": 50, "vehicle_class": "car"}"""));
        Task<HttpResponseMessage> Post(string body) =>
            t.PostAsync("/tenants/events_fast/datasets/speed_tracking/events", new StringContent(body, Encoding.UTF8, "application/x-ndjson"));

        static (string Limit, string Remaining, string Reset) RateLimit(HttpResponseMessage r) =>
            (r.Headers.GetValues("RateLimit-Limit").Single(), r.Headers.GetValues("RateLimit-Remaining").Single(), r.Headers.GetValues("RateLimit-Reset").Single());

        var first = await Post(Events(1, 3));
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(("4", "1", "1"), RateLimit(first)); // 3 of 4 taken; the second is whole again within 1 s
        Assert.Equal(HttpStatusCode.Accepted, (await Post(Events(4, 1))).StatusCode);
        var refused = await Post(Events(5, 2));
        Assert.Equal((HttpStatusCode)429, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter!.Delta);
        Assert.Equal(("4", "0", "1"), RateLimit(refused));
        Assert.Equal("events_per_second", (await refused.ReadJsonAsync()).GetProperty("quota").GetString());
        var tooMany = await Post(Events(5, 5));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooMany.StatusCode);

        _rateClock.Advance(TimeSpan.FromMilliseconds(500));
        var later = await Post(Events(5, 2));
        Assert.Equal(HttpStatusCode.Accepted, later.StatusCode);
        Assert.Equal(("4", "0", "1"), RateLimit(later));
        Assert.Equal(6, (await t.AllRowsAsync("events_fast", "speed_tracking")).Count);
    }
}
