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

    private void Measure(IConsumer<byte[], byte[]> consumer)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            foreach (var topic in _written.GroupBy(w => w.Key.Topic).ToList())
            {
                try
                {
                    var lag = topic.Sum(w => Math.Max(0, consumer.QueryWatermarkOffsets(w.Key, TimeSpan.FromSeconds(1)).High.Value - w.Value));
                    StreamLag.SetMessages(tenant, topic.Key[prefix.Length..], lag);
                }
                catch (KafkaException)
                {
                    // A broker that does not answer now: the figure stays as last measured, and the next tick tries again.
                }
            }
        }
    }

    /// <summary>Stops measuring before the consumer closes, and forgets what it reported.</summary>
    public void Dispose()
    {
        List<TopicPartition> held;
        lock (_lock)
        {
            _closed = true;
            held = [.. _written.Keys];
        }

        Unassigned(held);
        _timer?.Dispose();
    }
}
