namespace StreamIngestManager.Transport;

/// <summary>The stream transport (section <c>Transport</c>).</summary>
public sealed class TransportOptions
{
    public const string Section = "Transport";

    /// <summary><c>embedded</c> (in-process; the default) or <c>kafka</c>.</summary>
    public string Engine { get; set; } = "embedded";

    /// <summary>A micro-batch ends at this many records...</summary>
    public int MicroBatchRecords { get; set; } = 20_000;

    /// <summary>...or this long after its first record.</summary>
    public int MicroBatchMilliseconds { get; set; } = 50;

    public KafkaOptions Kafka { get; set; } = new();
}

/// <summary>Kafka settings (section <c>Transport:Kafka</c>).</summary>
public sealed class KafkaOptions
{
    /// <summary>host:port,...; <c>MYSIMBDP_KAFKA</c> sets it.</summary>
    public string BootstrapServers { get; set; } = "";

    /// <summary>
    /// When above zero, the platform starts librdkafka's mock cluster with this many brokers in-process and uses
    /// it: Kafka's protocol on real sockets without a Kafka server (development, benchmarks).
    /// </summary>
    public int MockBrokers { get; set; }

    /// <summary>Topics are <c>{TopicPrefix}.{tenant}.{dataset}</c>.</summary>
    public string TopicPrefix { get; set; } = "mysimbdp";

    /// <summary>
    /// Whether the platform creates its topics (admin API, <see cref="Partitions"/>, <see cref="ReplicationFactor"/>).
    /// Off when the cluster creates them on first use (<c>auto.create.topics.enable</c>) or an operator does;
    /// librdkafka's mock cluster, when it is not the platform's own, only creates them that way.
    /// </summary>
    public bool CreateTopics { get; set; } = true;

    public int Partitions { get; set; } = 3;

    public short ReplicationFactor { get; set; } = 3;

    public int LingerMilliseconds { get; set; } = 5;

    /// <summary>
    /// Messages a partition of a dataset's topic may hold beyond what this process's consumer has written before the
    /// events endpoint answers 503 (only where the tenant's consumer runs in the same process). The in-process mock
    /// cluster keeps about 5 MB of a partition and drops older messages, so with <see cref="MockBrokers"/> the limit
    /// is at most <see cref="MockBacklogMessages"/> (a message packs up to 1,000 records, about 200 KB of them).
    /// </summary>
    public int MaxBacklogMessages { get; set; } = 10_000;

    public const int MockBacklogMessages = 10;
}
