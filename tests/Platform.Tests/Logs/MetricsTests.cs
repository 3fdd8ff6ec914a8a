using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Tests.Batch;
using StreamIngestManager.Transport;

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

        // The compose stack's Grafana dashboard charts only series the platform serves (the Kafka ones: see below).
        AssertServed(scraped, DashboardSeries().Where(name => !name.StartsWith("mysimbdp_kafka_", StringComparison.Ordinal)));
    }

    /// <summary>The series the compose stack's Grafana dashboard charts.</summary>
    private static List<string> DashboardSeries()
    {
        var dashboard = JsonDocument.Parse(File.ReadAllText(Repo.Path("compose", "grafana", "dashboards", "mysimbdp.json"))).RootElement;
        var names = dashboard.GetProperty("panels").EnumerateArray().SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .SelectMany(t => SeriesName().Matches(t.GetProperty("expr").GetString()!)).Select(m => m.Value).ToList();
        Assert.NotEmpty(names);
        return names;
    }

    private static void AssertServed(string scraped, IEnumerable<string> names)
    {
        var families = Family().Matches(scraped).Select(m => m.Groups[1].Value).ToHashSet();
        foreach (var name in names)
        {
            Assert.True(families.Contains(name) || families.Contains(HistogramSuffix().Replace(name, "")), $"the dashboard charts {name}, which /metrics does not serve");
        }
    }

    /// <summary>
    /// The stream's lag while its writer stalls: on the embedded transport the records waiting, on Kafka the
    /// messages in the topic after the last one written (checked against the partitions' ends as Kafka's own
    /// admin client reads them); both back to 0 once the writes go on, with every row in.
    /// </summary>
    [Theory]
    [InlineData("embedded")]
    [InlineData("kafka")]
    public async Task StreamLagCountsWhatIsWaitingToBeWrittenWhileTheWriterStalls(string engine)
    {
        using var cluster = engine == "kafka" ? new StreamIngestManager.Transport.Kafka.MockKafkaCluster(1) : null;
        var settings = new Dictionary<string, string?> { ["Transport:Engine"] = engine };
        if (cluster is not null)
        {
            settings["Transport:Kafka:BootstrapServers"] = cluster.BootstrapServers;
            settings["Transport:Kafka:CreateTopics"] = "false";
        }

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await PlatformHost.StartAsync(settings, services: s =>
        {
            var transport = s.Last(d => d.ServiceType == typeof(IStreamTransport));
            s.Replace(ServiceDescriptor.Singleton<IStreamTransport>(sp => new StalledWriter((IStreamTransport)transport.ImplementationFactory!(sp), gate.Task)));
        });
        var tenant = "lag_" + engine;
        using var t = await host.TenantAsync(tenant);
        await t.RegisterAsync(tenant, Flows.StreamDatasetA("live"), Flows.AgreementWithoutApp());
        using var admin = await host.AdminAsync();
        var series = (Tenant: ("tenant", tenant), Dataset: ("dataset", "live"));

        // Five requests of 1,000 events. Embedded, a request is answered once written, so they wait on the gate;
        // on Kafka they are answered once the brokers have them.
        var posts = Enumerable.Range(1, 5).Select(sensor => t.PostAsync($"/tenants/{tenant}/datasets/live/events", new StringContent(string.Join('\n', Enumerable.Range(1, 1000).Select(i =>
            $$"""{"sensor_id": {{sensor}}, "reading_id": {{i}}, "date": "2026-03-01", "time": "08:00:00", "speed_kmh": 50, "vehicle_class": "car"}""")), Encoding.UTF8, "application/x-ndjson"))).ToList();
        if (cluster is null)
        {
            await Eventually.UntilAsync(() => admin.GetStringAsync("/metrics"), text => Value(text, "mysimbdp_stream_lag_records", series.Tenant, series.Dataset) == 5000,
                text => "the embedded lag never showed the 5,000 records waiting:\n" + text);
        }
        else
        {
            Assert.All(await Task.WhenAll(posts), r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
            long published;
            using (var consumer = new Confluent.Kafka.ConsumerBuilder<byte[], byte[]>(new Confluent.Kafka.ConsumerConfig { BootstrapServers = cluster.BootstrapServers, GroupId = "lag-check" }).Build())
            using (var kafkaAdmin = new Confluent.Kafka.AdminClientBuilder(new Confluent.Kafka.AdminClientConfig { BootstrapServers = cluster.BootstrapServers }).Build())
            {
                var partitions = kafkaAdmin.GetMetadata($"mysimbdp.{tenant}.live", TimeSpan.FromSeconds(10)).Topics.Single().Partitions;
                published = partitions.Sum(p => consumer.QueryWatermarkOffsets(new Confluent.Kafka.TopicPartition($"mysimbdp.{tenant}.live", p.PartitionId), TimeSpan.FromSeconds(10)).High.Value);
            }

            Assert.InRange(published, 5, 5000);
            var scraped = await Eventually.UntilAsync(() => admin.GetStringAsync("/metrics"), text => Value(text, "mysimbdp_kafka_consumer_lag", series.Tenant, series.Dataset) == published,
                text => $"the consumer lag never showed the {published} messages published:\n" + text);
            AssertServed(scraped, DashboardSeries().Where(name => name.StartsWith("mysimbdp_kafka_", StringComparison.Ordinal)));
        }

        gate.SetResult();
        Assert.All(await Task.WhenAll(posts), r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        await t.WaitForRowsAsync(tenant, "live", 5000);
        var name = cluster is null ? "mysimbdp_stream_lag_records" : "mysimbdp_kafka_consumer_lag";
        await Eventually.UntilAsync(() => admin.GetStringAsync("/metrics"), text => text.Contains(name, StringComparison.Ordinal) && Value(text, name, series.Tenant, series.Dataset) == 0,
            text => $"{name} never came back to 0 once everything was written:\n" + text);
    }

    /// <summary>The platform's transport with a writer that waits for the gate before each write (a store that stopped taking writes).</summary>
    internal sealed class StalledWriter(IStreamTransport inner, Task gate) : IStreamTransport
    {
        public Task PublishAsync(string tenant, string dataset, long schemaFingerprint, IReadOnlyList<StreamRecord> records, CancellationToken ct) =>
            inner.PublishAsync(tenant, dataset, schemaFingerprint, records, ct);

        public Task PrepareAsync(string tenant, string dataset, CancellationToken ct) => inner.PrepareAsync(tenant, dataset, ct);

        public bool IsBehind(string tenant, string dataset) => inner.IsBehind(tenant, dataset);

        public Task ConsumeAsync(string tenant, Func<IReadOnlyList<StreamDelivery>, CancellationToken, Task> handler, CancellationToken ct) =>
            inner.ConsumeAsync(tenant, async (deliveries, token) =>
            {
                await gate.WaitAsync(token);
                await handler(deliveries, token);
            }, ct);
    }

    [GeneratedRegex(@"^# TYPE (\w+) ", RegexOptions.Multiline)]
    private static partial Regex Family();

    [GeneratedRegex(@"\b(mysimbdp|http_server)_\w+")]
    private static partial Regex SeriesName();

    [GeneratedRegex("_(bucket|count|sum)$")]
    private static partial Regex HistogramSuffix();
}
