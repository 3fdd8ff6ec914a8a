using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Platform.Tests.Batch;

namespace Platform.Tests.Logs;

/// <summary>
/// /metrics as Prometheus scrapes it: admin-only, and the ingestion counters say what the files API and the
/// events answer said (rows loaded and quarantined by path, files by status, runs, refusals), per tenant.
/// </summary>
public sealed partial class MetricsTests
{
    [GeneratedRegex(@"^(\w+)\{([^}]*)\} (\S+)", RegexOptions.Multiline)]
    private static partial Regex Sample();

    [GeneratedRegex(@"(\w+)=""([^""]*)""")]
    private static partial Regex Label();

    /// <summary>The value of the series named <paramref name="name"/> whose labels include <paramref name="labels"/>, summed over the rest.</summary>
    internal static double Value(string exposition, string name, params (string Key, string Value)[] labels) =>
        Sample().Matches(exposition).Where(m => m.Groups[1].Value == name)
            .Where(m => labels.All(l => Label().Matches(m.Groups[2].Value).Any(x => x.Groups[1].Value == l.Key && x.Groups[2].Value == l.Value)))
            .Sum(m => double.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task TheCountersAgreeWithWhatTheApiAnsweredAndOnlyAnAdminReadsThem()
    {
        await using var host = await PlatformHost.StartAsync();
        using var t = await host.TenantAsync("metrics_a");
        await t.RegisterAsync("metrics_a", Flows.DatasetA(), Flows.AgreementWithoutApp().With("quotas", new System.Text.Json.Nodes.JsonObject { ["events_per_second"] = 50 }));
        await t.RegisterAsync("metrics_a", Flows.StreamDatasetA("live"), null);

        var fileId = await t.UploadAsync("metrics_a", "speed_tracking", "messy.csv", MessyFile.Build());
        await t.IngestAndWaitAsync("metrics_a", "speed_tracking");
        var file = await t.FileAsync("metrics_a", fileId);
        static StringContent Events(int count) => new(string.Join('\n', Enumerable.Range(1, count).Select(i =>
            $$"""{"sensor_id": 1, "reading_id": {{i}}, "date": "2026-03-01", "time": "08:00:00", "speed_kmh": 50, "vehicle_class": "car"}""")), Encoding.UTF8, "application/x-ndjson");
        Assert.Equal(HttpStatusCode.Accepted, (await t.PostAsync("/tenants/metrics_a/datasets/live/events", Events(40))).StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await t.PostAsync("/tenants/metrics_a/datasets/live/events", Events(51))).StatusCode);
        using (var form = new MultipartFormDataContent { { new ByteArrayContent("a\n1\n"u8.ToArray()), "file", "x.csv" } })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await t.PostAsync("/tenants/metrics_a/datasets/no_such/files", form)).StatusCode);
        }

        using var anonymous = new HttpClient { BaseAddress = host.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await t.GetAsync("/metrics")).StatusCode);

        using var admin = await host.AdminAsync();
        var tenant = ("tenant", "metrics_a");
        var scraped = await Eventually.UntilAsync(() => admin.GetStringAsync("/metrics"),
            text => Value(text, "mysimbdp_refused_total", tenant) >= 1 && Value(text, "mysimbdp_run_duration_seconds_count", tenant) >= 1,
            text => "the counters never showed the run and the refusal:\n" + text);

        Assert.Equal(file.GetProperty("rows_loaded").GetInt64(), Value(scraped, "mysimbdp_rows_loaded_total", tenant, ("path", "file")));
        Assert.Equal(40, Value(scraped, "mysimbdp_rows_loaded_total", tenant, ("path", "events"), ("dataset", "live")));
        Assert.Equal(file.GetProperty("rows_quarantined").GetInt64(), Value(scraped, "mysimbdp_rows_quarantined_total", tenant));
        Assert.Equal(1, Value(scraped, "mysimbdp_files_total", tenant, ("status", file.GetProperty("status").GetString()!)));
        Assert.Equal(1, Value(scraped, "mysimbdp_events_requests_total", tenant));
        Assert.Equal(1, Value(scraped, "mysimbdp_refused_total", tenant, ("action", "upload.refused"), ("status", "404"), ("dataset", "no_such")));
        Assert.Equal(1, Value(scraped, "mysimbdp_run_duration_seconds_count", tenant));
        Assert.Equal(1, Value(scraped, "mysimbdp_quota_refusals_total", tenant, ("quota", "events_per_second")));
        Assert.True(Value(scraped, "mysimbdp_coredms_write_duration_seconds_count", ("keyspace", "t9_metrics_a_tracking"), ("path", "file")) >= 1, scraped);
        Assert.True(Value(scraped, "mysimbdp_coredms_write_duration_seconds_count", ("keyspace", "t9_metrics_a_tracking"), ("path", "stream")) >= 1, scraped);
        Assert.Contains("http_server_request_duration_seconds", scraped, StringComparison.Ordinal);

        // The compose stack's Grafana dashboard charts only series the platform serves.
        var dashboard = JsonDocument.Parse(File.ReadAllText(Repo.Path("compose", "grafana", "dashboards", "mysimbdp.json"))).RootElement;
        var expressions = dashboard.GetProperty("panels").EnumerateArray().SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!).ToList();
        Assert.NotEmpty(expressions);
        var families = Family().Matches(scraped).Select(m => m.Groups[1].Value).ToHashSet();
        foreach (var name in expressions.SelectMany(e => SeriesName().Matches(e)).Select(m => m.Value))
        {
            Assert.True(families.Contains(name) || families.Contains(HistogramSuffix().Replace(name, "")), $"the dashboard charts {name}, which /metrics does not serve");
        }
    }

    [GeneratedRegex(@"^# TYPE (\w+) ", RegexOptions.Multiline)]
    private static partial Regex Family();

    [GeneratedRegex(@"\b(mysimbdp|http_server)_\w+")]
    private static partial Regex SeriesName();

    [GeneratedRegex("_(bucket|count|sum)$")]
    private static partial Regex HistogramSuffix();
}
