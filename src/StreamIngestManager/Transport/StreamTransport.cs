namespace StreamIngestManager.Transport;

/// <summary>One record on the stream: its key (the row's primary key), its value (Avro binary) and where it came from.</summary>
/// <param name="Key">The primary key's bytes; records with one key keep their order.</param>
/// <param name="Value">The row as Avro binary of the schema named by the delivery's fingerprint.</param>
/// <param name="Source">The file id or events request id it came from.</param>
/// <param name="Position">Its place among the records published from that source (1 for the first).</param>
public sealed record StreamRecord(byte[] Key, byte[] Value, string Source, long Position);

/// <summary>Records of one dataset written with one schema, as a consumer receives them.</summary>
public sealed record StreamDelivery(string Tenant, string Dataset, long SchemaFingerprint, IReadOnlyList<StreamRecord> Records);

/// <summary>
/// The stream transport port: records are published for a tenant's dataset and consumed per tenant, with the
/// consumer's position committed only after its handler (the coredms write) succeeded, so that a crash
/// replays records instead of losing them (at least once; upserts make the effect exactly once).
/// </summary>
public interface IStreamTransport
{
    /// <summary>
    /// Publishes records; when the task completes they are durable: acknowledged by every in-sync Kafka replica,
    /// or (embedded) written to coredms by the consumer.
    /// </summary>
    Task PublishAsync(string tenant, string dataset, long schemaFingerprint, IReadOnlyList<StreamRecord> records, CancellationToken ct);

    /// <summary>
    /// Readies a dataset's stream before its first record, so that the tenant's consumer takes it from its start:
    /// Kafka creates the topic (when the platform creates its topics) before the consumer joins its group.
    /// </summary>
    Task PrepareAsync(string tenant, string dataset, CancellationToken ct);

    /// <summary>
    /// Consumes the tenant's records in micro-batches until <paramref name="ct"/>; a batch is committed only when
    /// <paramref name="handler"/> returns, and offered again after the handler throws.
    /// </summary>
    Task ConsumeAsync(string tenant, Func<IReadOnlyList<StreamDelivery>, CancellationToken, Task> handler, CancellationToken ct);

    /// <summary>
    /// Whether the dataset's records wait for this process's consumer beyond what the transport should hold, so that
    /// producers are told to slow down rather than have records outlive the transport's retention. Unknown (false)
    /// where the tenant's consumer runs elsewhere; the embedded transport never is, its publishers wait instead.
    /// </summary>
    bool IsBehind(string tenant, string dataset);
}
