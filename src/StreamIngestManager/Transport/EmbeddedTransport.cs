using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace StreamIngestManager.Transport;

/// <summary>
/// The in-process transport: a bounded queue per tenant. Nothing is stored in it, so a publish completes only
/// once the consumer has written the records; the durable copy meanwhile is the staged file or the HTTP
/// request, which is answered only then. The consumer retries a failed write like the Kafka consumer does;
/// a publish that waits longer than <see cref="WriteTimeout"/> fails (its source still has the data), and a store
/// out of room fails it at once, so that its caller can say so. A full queue makes publishers wait (back-pressure).
/// </summary>
internal sealed class EmbeddedTransport(IOptions<TransportOptions> options, ILogger<EmbeddedTransport> logger) : IStreamTransport
{
    public static readonly TimeSpan WriteTimeout = TimeSpan.FromMinutes(2);
    private readonly ConcurrentDictionary<string, Channel<Pending>> _queues = new(StringComparer.Ordinal);

    private sealed record Pending(StreamDelivery Delivery, TaskCompletionSource Written);

    private Channel<Pending> Queue(string tenant) =>
        _queues.GetOrAdd(tenant, _ => Channel.CreateBounded<Pending>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.Wait }));

    public async Task PublishAsync(string tenant, string dataset, long schemaFingerprint, IReadOnlyList<StreamRecord> records, CancellationToken ct)
    {
        var size = options.Value.MicroBatchRecords;
        var written = new List<Task>();
        for (var start = 0; start < records.Count; start += size)
        {
            var chunk = records.Count <= size ? records : records.Skip(start).Take(size).ToList();
            var pending = new Pending(new StreamDelivery(tenant, dataset, schemaFingerprint, chunk), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            await Queue(tenant).Writer.WriteAsync(pending, ct);
            StreamLag.AddRecords(tenant, dataset, chunk.Count);
            written.Add(pending.Written.Task);
        }

        try
        {
            await Task.WhenAll(written).WaitAsync(WriteTimeout, ct);
        }
        catch (TimeoutException e)
        {
            throw new InvalidOperationException($"The stream consumer of tenant '{tenant}' did not write the records within {WriteTimeout.TotalSeconds} s.", e);
        }
    }

    /// <summary>Never: a publish waits until its records are written, so the queue itself holds producers back.</summary>
    public bool IsBehind(string tenant, string dataset) => false;

    /// <summary>Nothing to ready: a tenant's queue exists from its first use.</summary>
    public Task PrepareAsync(string tenant, string dataset, CancellationToken ct) => Task.CompletedTask;

    public async Task ConsumeAsync(string tenant, Func<IReadOnlyList<StreamDelivery>, CancellationToken, Task> handler, CancellationToken ct)
    {
        var reader = Queue(tenant).Reader;
        var batch = new List<Pending>();
        try
        {
            while (await reader.WaitToReadAsync(ct))
            {
                batch.Clear();
                var records = 0;
                while (reader.TryPeek(out var next) && (batch.Count == 0 || records + next.Delivery.Records.Count <= options.Value.MicroBatchRecords))
                {
                    reader.TryRead(out _);
                    batch.Add(next);
                    records += next.Delivery.Records.Count;
                }

                try
                {
                    await Redelivery.UntilWrittenAsync(tenant, batch.Select(p => p.Delivery).ToList(), handler, logger, ct, giveUp: e => e is Coredms.StoreFullException);
                }
                catch (OperationCanceledException)
                {
                    batch.ForEach(p => p.Written.TrySetException(new OperationCanceledException("The stream consumer stopped before writing the records.")));
                    throw;
                }
                catch (Coredms.StoreFullException e)
                {
                    batch.ForEach(p => p.Written.TrySetException(e));
                    continue;
                }
                finally
                {
                    // Written, or handed back to their publishers as failed: either way no longer waiting here.
                    batch.ForEach(p => StreamLag.AddRecords(tenant, p.Delivery.Dataset, -p.Delivery.Records.Count));
                }

                batch.ForEach(p => p.Written.TrySetResult());
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }
}
