using Confluent.Kafka;

namespace StreamIngestManager.Transport.Kafka;

/// <summary>
/// A tenant consumer's lag per topic, for <see cref="StreamLag"/>: per assigned partition, the partition's end less
/// the offset after the last message written (at assignment, the group's committed offset or the partition's
/// first). The consumer's thread reports assignments and writes; a timer measures every two seconds, asking the
/// brokers for the ends, because the ends librdkafka caches from its fetches stop moving while a stalled writer
/// leaves its fetch queue full, and a stall is when the lag matters.
/// </summary>
internal sealed class ConsumerLag(string tenant, string prefix) : IDisposable
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(2);
    private readonly Dictionary<TopicPartition, long> _written = [];
    private readonly Lock _lock = new();
    private Timer? _timer;
    private bool _closed;

    /// <summary>Starts measuring through <paramref name="consumer"/> (its watermark queries are safe beside Consume).</summary>
    public void Start(IConsumer<byte[], byte[]> consumer) => _timer = new Timer(_ => Measure(consumer), null, Every, Every);

    public void Assigned(TopicPartition partition, long from)
    {
        lock (_lock)
        {
            _written[partition] = from;
        }
    }

    /// <summary>The offset after the last message of <paramref name="partition"/> written, when this consumer holds it.</summary>
    public long? WrittenOf(TopicPartition partition)
    {
        lock (_lock)
        {
            return _written.TryGetValue(partition, out var offset) ? offset : null;
        }
    }

    public void Written(IEnumerable<ConsumeResult<byte[], byte[]>> batch)
    {
        lock (_lock)
        {
            foreach (var r in batch)
            {
                _written[r.TopicPartition] = Math.Max(_written.GetValueOrDefault(r.TopicPartition), r.Offset.Value + 1);
            }
        }
    }

    /// <summary>Partitions given up (revoked or lost): a topic none of whose partitions is left here is no longer this process's to report.</summary>
    public void Unassigned(IEnumerable<TopicPartition> partitions)
    {
        lock (_lock)
        {
            foreach (var partition in partitions)
            {
                _written.Remove(partition);
                if (!_written.Keys.Any(p => p.Topic == partition.Topic))
                {
                    StreamLag.ForgetMessages(tenant, partition.Topic[prefix.Length..]);
                }
            }
        }
    }

    /// <summary>
    /// Asks the brokers for the ends outside the lock (the consumer's thread takes it after every write, and must not
    /// wait for a broker), then reports each topic still held.
    /// </summary>
    private void Measure(IConsumer<byte[], byte[]> consumer)
    {
        List<KeyValuePair<TopicPartition, long>> held;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            held = [.. _written];
        }

        var ends = new Dictionary<TopicPartition, long>();
        foreach (var (partition, _) in held)
        {
            try
            {
                ends[partition] = consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(1)).High.Value;
            }
            catch (KafkaException)
            {
                // A broker that does not answer now: its topic's figure stays as last measured until the next tick.
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }

        lock (_lock)
        {
            foreach (var topic in _written.Where(w => ends.ContainsKey(w.Key)).GroupBy(w => w.Key.Topic))
            {
                if (!_closed && topic.All(w => ends.ContainsKey(w.Key)))
                {
                    StreamLag.SetMessages(tenant, topic.Key[prefix.Length..], topic.Sum(w => Math.Max(0, ends[w.Key] - w.Value)));
                }
            }
        }
    }

    /// <summary>Stops measuring (waiting for a measurement in progress) before the consumer closes, and forgets what it reported.</summary>
    public void Dispose()
    {
        List<TopicPartition> held;
        lock (_lock)
        {
            _closed = true;
            held = [.. _written.Keys];
        }

        Unassigned(held);

        // A measurement in progress still uses the consumer: it ends before the consumer is closed.
        if (_timer is not null)
        {
            using var stopped = new ManualResetEvent(false);
            if (_timer.Dispose(stopped))
            {
                stopped.WaitOne();
            }
        }
    }
}
