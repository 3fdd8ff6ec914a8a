using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Tests.Streaming;
using StreamIngestManager.Transport;
using StreamIngestManager.Transport.Kafka;

namespace Platform.Tests.Live;

/// <summary>
/// The transport contract and the platform's stream path against a real Kafka cluster (<c>MYSIMBDP_KAFKA</c>,
/// host:port,...): every contract test runs here. Topics are created by the platform (admin API), with a prefix
/// unique to the run.
/// </summary>
[LiveSuite(Variable)]
public sealed class LiveKafkaTests : TransportContract
{
    private const string Variable = "MYSIMBDP_KAFKA";
    private readonly string _prefix = "live" + Guid.NewGuid().ToString("N")[..8];

    protected override IStreamTransport CreateTransport(TransportOptions options)
    {
        options.Engine = "kafka";
        options.Kafka.BootstrapServers = LiveFactAttribute.Value(Variable);
        options.Kafka.TopicPrefix = _prefix;
        options.Kafka.ReplicationFactor = 1;
        return new KafkaTransport(Options.Create(options), NullLogger<KafkaTransport>.Instance);
    }

    protected override int BatchOvershoot => KafkaTransport.MessageRecords - 1;

    [LiveFact(Variable)]
    public async Task EventsAndDroppedFilesBecomeRowsThroughKafka()
    {
        await using var host = await PlatformHost.StartAsync(new Dictionary<string, string?>
        {
            ["Transport:Engine"] = "kafka",
            ["Transport:Kafka:BootstrapServers"] = LiveFactAttribute.Value(Variable),
            ["Transport:Kafka:TopicPrefix"] = "live" + Guid.NewGuid().ToString("N")[..8],
        });
        using var t = await host.TenantAsync("live_kafka");
        await t.RegisterAsync("live_kafka", Flows.StreamDatasetA(), Flows.AgreementWithoutApp());
        var events = string.Join('\n', Enumerable.Range(1, 100).Select(i =>
            $$"""{"sensor_id": 1, "reading_id": {{i}}, "date": "2026-03-01", "time": "08:00:00", "speed_kmh": 50, "vehicle_class": "car"}"""));
        var response = await t.PostAsync("/tenants/live_kafka/datasets/speed_tracking/events", new StringContent(events, Encoding.UTF8, "application/x-ndjson"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Flows.DropFile(host.Home, "live_kafka", "in", "live.csv", StreamIngestionTests.Readings(2, 1000));

        var rows = await t.WaitForRowsAsync("live_kafka", "speed_tracking", 1100, TimeSpan.FromSeconds(120));
        Assert.Equal(1100, rows.Select(r => (r.GetProperty("sensor_id").GetInt32(), r.GetProperty("reading_id").GetInt32())).Distinct().Count());
    }
}
