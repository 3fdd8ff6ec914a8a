using System.Net;
using System.Text.Json;
using Platform.Tests.Batch;

namespace Platform.Tests.Logs;

/// <summary>
/// The ingestion log as admins and tenants read it: a messy file's ingestion produces its events with ECS
/// fields and exact counts, filters work, and a tenant sees its own events only.
/// </summary>
public sealed class IngestionLogTests : IAsyncLifetime
{
    private PlatformHost _host = null!;

    public async Task InitializeAsync() => _host = await PlatformHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static async Task<List<JsonElement>> EventsAsync(HttpClient http, string url)
    {
        var response = await http.GetAsync(url);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.ReadJsonAsync()).GetProperty("events").EnumerateArray().Select(e => e.Clone()).ToList();
    }

    /// <summary>Polls until the events the predicate wants are there (the catalog writer batches every half second).</summary>
    private static Task<List<JsonElement>> WaitForEventsAsync(HttpClient http, string url, Func<List<JsonElement>, bool> done) =>
        Eventually.UntilAsync(() => EventsAsync(http, url), done, events => $"the log has only: {string.Join(", ", events.Select(e => e.GetProperty("action")))}");

    /// <summary>The lines of the platform's JSON log files so far (read while the platform writes them).</summary>
    private IEnumerable<string> FileLines()
    {
        var folder = Path.Combine(_host.Home, "logs");
        if (!Directory.Exists(folder))
        {
            yield break;
        }

        foreach (var path in Directory.EnumerateFiles(folder, "platform-api-*.json"))
        {
            using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
            var text = reader.ReadToEnd();

            // Only whole lines: the writer may be in the middle of the last one.
            foreach (var line in text[..(text.LastIndexOf('\n') + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                yield return line;
            }
        }
    }

    private static JsonElement Doc(List<JsonElement> events, string action) =>
        Assert.Single(events, e => e.GetProperty("action").GetString() == action).GetProperty("document");

    [Fact]
    public async Task RefusedUploadsAndEventsAreInTheTenantsLogWithTheAnswerTheClientGot()
    {
        using var t = await _host.TenantAsync("log_refused");
        await t.RegisterAsync("log_refused", Flows.StreamDatasetA(), Flows.AgreementWithoutApp());

        using (var form = new MultipartFormDataContent { { new ByteArrayContent([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]), "file", "archive.zip" } })
        {
            var response = await t.PostAsync("/tenants/log_refused/datasets/speed_tracking/files", form);
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        }

        using (var form = new MultipartFormDataContent { { new ByteArrayContent("a,b\n1,2\n"u8.ToArray()), "file", "x.csv" } })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await t.PostAsync("/tenants/log_refused/datasets/no_such/files", form)).StatusCode);
        }

        var events = await t.PostAsync("/tenants/log_refused/datasets/speed_tracking/events", new StringContent("<xml/>", System.Text.Encoding.UTF8, "application/xml"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, events.StatusCode);
        var answered = JsonDocument.Parse(await events.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString();

        var uploads = await WaitForEventsAsync(t, "/tenants/log_refused/logs?action=upload.refused", e => e.Count == 2);
        Assert.All(uploads, u => Assert.Equal("warn", u.GetProperty("level").GetString()));
        var statuses = uploads.Select(u => u.GetProperty("document").GetProperty("mysimbdp.status_code").GetInt32()).Order();
        Assert.Equal([404, 415], statuses);
        Assert.Contains(uploads, u => u.GetProperty("document").GetProperty("dataset").GetString() == "no_such");
        var refused = Assert.Single(await WaitForEventsAsync(t, "/tenants/log_refused/logs?action=events.refused", e => e.Count == 1));
        Assert.Equal(answered, refused.GetProperty("document").GetProperty("error.message").GetString());
        Assert.Equal("speed_tracking", refused.GetProperty("document").GetProperty("dataset").GetString());
    }

    [Fact]
    public async Task AMessyFilesIngestionIsLoggedWithItsCountsAndOnlyItsTenantSeesIt()
    {
        using var a = await _host.TenantAsync("log_a");
        using var b = await _host.TenantAsync("log_b");
        await a.RegisterAsync("log_a", Flows.DatasetA(), Flows.AgreementWithoutApp());
        await b.RegisterAsync("log_b", Flows.DatasetA(), Flows.AgreementWithoutApp());
        var fileId = await a.UploadAsync("log_a", "speed_tracking", "messy.csv", MessyFile.Build());
        var run = await a.IngestAndWaitAsync("log_a", "speed_tracking");
        var runId = run.GetProperty("run_id").GetString();
        using var admin = await _host.AdminAsync();

        var events = await WaitForEventsAsync(admin, "/admin/logs?tenant=log_a", e => e.Any(x => x.GetProperty("action").GetString() == "run.finished"));

        Assert.All(events, e => Assert.Equal("log_a", e.GetProperty("tenant").GetString()));
        var staged = Doc(events, "file.staged");
        Assert.Equal(fileId, staged.GetProperty("file.id").GetString());
        Assert.Equal(MessyFile.Build().Length, staged.GetProperty("file.size").GetInt64());
        Assert.Equal("messy.csv", staged.GetProperty("file.name").GetString());
        var loaded = Doc(events, "rows.loaded");
        Assert.Equal("log_a", loaded.GetProperty("tenant.id").GetString());
        Assert.Equal("speed_tracking", loaded.GetProperty("dataset").GetString());
        Assert.Equal(fileId, loaded.GetProperty("file.id").GetString());
        Assert.Equal(MessyFile.AsIs.Loaded, loaded.GetProperty("mysimbdp.rows_loaded").GetInt64());
        Assert.Equal(MessyFile.AsIs.Read, loaded.GetProperty("mysimbdp.rows_read").GetInt64());
        Assert.Equal(MessyFile.AsIs.Quarantined, loaded.GetProperty("mysimbdp.rows_quarantined").GetInt64());
        Assert.Equal(MessyFile.AsIs.Skipped, loaded.GetProperty("mysimbdp.rows_skipped").GetInt64());
        Assert.Equal("partially_loaded", loaded.GetProperty("mysimbdp.file_status").GetString());
        Assert.True(loaded.GetProperty("event.duration").GetInt64() >= 0);
        Assert.Equal("info", loaded.GetProperty("log.level").GetString());
        Assert.True(DateTimeOffset.TryParse(loaded.GetProperty("@timestamp").GetString(), out _));
        Assert.Equal(MessyFile.AsIs.Quarantined, Doc(events, "rows.quarantined").GetProperty("mysimbdp.rows_quarantined").GetInt64());
        Assert.Equal(fileId, Doc(events, "file.claimed").GetProperty("file.id").GetString());
        Assert.Equal(runId, Doc(events, "run.started").GetProperty("run.id").GetString());
        var finished = Doc(events, "run.finished");
        Assert.Equal(runId, finished.GetProperty("run.id").GetString());
        Assert.Equal(MessyFile.AsIs.Loaded, finished.GetProperty("mysimbdp.rows_loaded").GetInt64());
        Assert.False(finished.TryGetProperty("error.message", out _));
        var times = events.Select(e => e.GetProperty("event_id").GetString()).ToList();
        Assert.Equal(times.OrderDescending(StringComparer.Ordinal), times);

        // The same document, one per line, in the rolling JSON file (flushed every second).
        var line = await Eventually.UntilAsync(
            () => Task.FromResult(FileLines().Where(l => l.Contains(fileId, StringComparison.Ordinal) && l.Contains("\"rows.loaded\"", StringComparison.Ordinal))
                .Select(l => (JsonElement?)JsonDocument.Parse(l).RootElement).FirstOrDefault()),
            found => found is not null, _ => "rows.loaded never reached the JSON log file");
        Assert.Equal(MessyFile.AsIs.Loaded, line!.Value.GetProperty("mysimbdp.rows_loaded").GetInt64());
        Assert.Equal(loaded.GetProperty("message").GetString(), line.Value.GetProperty("message").GetString());

        // The tenant reads its own log; the other tenant sees none of it and cannot ask for it.
        var own = await EventsAsync(a, "/tenants/log_a/logs?action=rows.quarantined");
        Assert.Equal(fileId, Assert.Single(own).GetProperty("file_id").GetString());
        Assert.DoesNotContain(await EventsAsync(b, "/tenants/log_b/logs?limit=1000"), e => e.GetRawText().Contains(fileId, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Forbidden, (await b.GetAsync("/tenants/log_a/logs")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await a.GetAsync("/admin/logs")).StatusCode);
    }

    [Fact]
    public async Task RefusalsAndFailuresAreLoggedAndTheLogPagesAndFilters()
    {
        using var t = await _host.TenantAsync("log_c");
        await t.RegisterAsync("log_c", Flows.DatasetA(), Flows.AgreementWithoutApp().With("quotas", new System.Text.Json.Nodes.JsonObject { ["files_per_day"] = 3 }));
        for (var i = 0; i < 3; i++)
        {
            await t.UploadAsync("log_c", "speed_tracking", $"f{i}.csv", MessyFile.Build());
        }

        var refused = await t.PostAsync("/tenants/log_c/datasets/speed_tracking/files", new MultipartFormDataContent { { new ByteArrayContent(MessyFile.Build()), "file", "f3.csv" } });
        Assert.Equal((HttpStatusCode)429, refused.StatusCode);
        using var admin = await _host.AdminAsync();

        var warnings = await WaitForEventsAsync(admin, "/admin/logs?tenant=log_c&level=warn", e => e.Count >= 1);
        var quota = Assert.Single(warnings);
        Assert.Equal("quota.exceeded", quota.GetProperty("action").GetString());
        Assert.Equal("files_per_day", quota.GetProperty("document").GetProperty("mysimbdp.quota").GetString());

        var first = await admin.GetAsync("/admin/logs?tenant=log_c&action=file.staged&limit=2");
        var page = await first.ReadJsonAsync();
        Assert.Equal(2, page.GetProperty("events").GetArrayLength());
        var next = page.GetProperty("next").GetString();
        var rest = await admin.GetAsync($"/admin/logs?tenant=log_c&action=file.staged&limit=2&before={next}");
        var second = await rest.ReadJsonAsync();
        Assert.Equal(1, second.GetProperty("events").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next").ValueKind);

        var bad = await admin.GetAsync("/admin/logs?limit=0&level=loud&since=yesterday&before=x");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var fields = (await bad.ReadJsonAsync()).GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).Order();
        Assert.Equal(["before", "level", "limit", "since"], fields);
    }

    [Fact]
    public async Task EveryRequestIsOneLogLineWithItsTenantAndStatus()
    {
        using var tenant = await _host.TenantAsync("log_requests");
        Assert.Equal(HttpStatusCode.OK, (await tenant.GetAsync("/tenants/log_requests/files")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await tenant.GetAsync("/tenants/log_requests/datasets/nothing")).StatusCode);

        var lines = await Eventually.UntilAsync(
            () => Task.FromResult(FileLines().Select(l => JsonDocument.Parse(l).RootElement.Clone())
                .Where(d => d.TryGetProperty("tenant.id", out var t) && t.GetString() == "log_requests" && d.GetProperty("message").GetString()!.Contains(" answered ", StringComparison.Ordinal))
                .ToList()),
            found => found.Count >= 2, found => $"the JSON log file has {found.Count} request lines of log_requests");

        Assert.Equal(
            ["GET /tenants/log_requests/files answered 200", "GET /tenants/log_requests/datasets/nothing answered 404"],
            lines.Select(d => d.GetProperty("message").GetString()![..d.GetProperty("message").GetString()!.IndexOf(" in ", StringComparison.Ordinal)]));
        Assert.Equal([200, 404], lines.Select(d => d.GetProperty("mysimbdp.status_code").GetInt32()));
    }
}
