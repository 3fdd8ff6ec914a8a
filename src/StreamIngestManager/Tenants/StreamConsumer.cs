using Ingestion.Pipeline;
using StreamIngestManager.Consuming;
using StreamIngestManager.Transport;

namespace StreamIngestManager.Tenants;

/// <summary>A tenant's consumer: takes its records from the transport into coredms, started again a second after it stops on an error.</summary>
internal sealed class StreamConsumer(string tenant, IStreamTransport transport, DeliveryWriter writer, BulkLane bulk, ILogger<StreamConsumer> logger)
{
    /// <summary>Records that make a micro-batch bulk work, written on the <see cref="BulkLane"/>.</summary>
    private const int BulkRecords = 5000;

    private Task WriteAsync(IReadOnlyList<Transport.StreamDelivery> deliveries, CancellationToken ct) =>
        deliveries.Sum(d => d.Records.Count) >= BulkRecords ? bulk.RunAsync(() => writer.WriteAsync(deliveries, ct)) : writer.WriteAsync(deliveries, ct);

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await transport.ConsumeAsync(tenant, WriteAsync, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "The stream consumer of {TenantId} stopped; it starts again in a second", tenant);
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
