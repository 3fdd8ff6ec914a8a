using IngestionLog;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Catalog.Logs;

/// <summary>
/// Drains the catalog log buffer into <see cref="LogCatalog"/> in batches (every half second or 1,000
/// documents). A failed write puts the batch back and waits a second; the buffer is bounded, so a stuck
/// store costs the oldest log lines, never ingestion time.
/// </summary>
public sealed class CatalogLogWriter(LogBuffers buffers, LogCatalog catalog, ILogger<CatalogLogWriter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var batch = await buffers.Catalog.TakeAsync(1000, TimeSpan.FromMilliseconds(500), stoppingToken);
            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                await catalog.WriteAsync(batch, CancellationToken.None);
            }
            catch (Exception e)
            {
                buffers.Catalog.Return(batch);
                logger.LogError(e, "Writing {Documents} log events to the catalog failed; they are written again in a second", batch.Count);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }

        // Stopping: what is left is written once, so that a clean shutdown loses no event.
        var rest = await buffers.Catalog.TakeAsync(int.MaxValue, TimeSpan.Zero, CancellationToken.None);
        if (rest.Count > 0)
        {
            await catalog.WriteAsync(rest, CancellationToken.None);
        }
    }
}
