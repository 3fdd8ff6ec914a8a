using StreamIngestManager.Consuming;
using StreamIngestManager.Transport;

namespace StreamIngestManager.Tenants;

/// <summary>A tenant's consumer: takes its records from the transport into coredms, started again a second after it stops on an error.</summary>
internal sealed class StreamConsumer(string tenant, IStreamTransport transport, DeliveryWriter writer, ILogger<StreamConsumer> logger)
{
    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await transport.ConsumeAsync(tenant, writer.WriteAsync, ct);
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
