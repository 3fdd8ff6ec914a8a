using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using IngestionLog;

namespace StreamIngestManager.Transport;

/// <summary>
/// What the stream has taken and not yet written to coredms, per tenant and dataset, as two gauges of the
/// platform's meter, one per transport because they count different things:
/// <c>mysimbdp.stream.lag.records</c> (embedded: records published and not yet written, exact) and
/// <c>mysimbdp.kafka.consumer.lag</c> (Kafka: messages of the dataset's topic after the last one written, summed over
/// the partitions this process consumes; each message packs up to <see cref="Kafka.KafkaTransport.MessageRecords"/>
/// records, and Kafka offsets count messages, not records). A transport updates its figures as it goes; the gauges
/// read them when scraped.
/// </summary>
public static class StreamLag
{
    private static readonly Meter Meter = new(IngestionMetrics.MeterName);
    private static readonly ConcurrentDictionary<(string Tenant, string Dataset), long> Records = new();
    private static readonly ConcurrentDictionary<(string Tenant, string Dataset), long> Messages = new();

    static StreamLag()
    {
        Meter.CreateObservableGauge("mysimbdp.stream.lag.records", () => Observe(Records), "{record}",
            "Records published to the embedded transport and not yet written to coredms.");
        Meter.CreateObservableGauge("mysimbdp.kafka.consumer.lag", () => Observe(Messages), "{message}",
            "Kafka messages (up to 1,000 records each) in a dataset's topic after the last one written to coredms: the consumer group's lag.");
    }

    private static IEnumerable<Measurement<long>> Observe(ConcurrentDictionary<(string Tenant, string Dataset), long> figures) =>
        figures.Select(f => new Measurement<long>(f.Value, new KeyValuePair<string, object?>("tenant", f.Key.Tenant), new KeyValuePair<string, object?>("dataset", f.Key.Dataset)));

    /// <summary>Embedded: <paramref name="delta"/> records were queued (positive) or written or given up (negative).</summary>
    public static void AddRecords(string tenant, string dataset, long delta) => Records.AddOrUpdate((tenant, dataset), delta, (_, v) => v + delta);

    /// <summary>Kafka: the lag of a dataset's topic, in messages, as the tenant's consumer last measured it.</summary>
    public static void SetMessages(string tenant, string dataset, long lag) => Messages[(tenant, dataset)] = lag;

    /// <summary>Kafka: the tenant's consumer stopped or gave up the topic here, so this process no longer knows its lag.</summary>
    public static void ForgetMessages(string tenant, string dataset) => Messages.TryRemove((tenant, dataset), out _);
}
