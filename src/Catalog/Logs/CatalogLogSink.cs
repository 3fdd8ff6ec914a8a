using IngestionLog;
using Microsoft.Extensions.Logging;

namespace Catalog.Logs;

/// <summary>
/// The catalog's log sink: ingestion events (those with an <c>event.action</c>) and a tenant's warnings and errors
/// go to <see cref="LogCatalog"/>, which the admin API and page read, in batches of up to 1,000 every half second.
/// A failed write gives the batch back to the pump, which writes it again after a pause.
/// </summary>
public sealed class CatalogLogSink(LogCatalog catalog, ILogger<CatalogLogSink> logger) : ILogSink
{
    public string Name => "the catalog";

    public int BatchSize => 1000;

    public TimeSpan FlushInterval => TimeSpan.FromMilliseconds(500);

    public bool Accepts(EcsDocument document) =>
        document.Action is not null || (document.Tenant is not null && document.Level is "warn" or "error" or "fatal");

    public async Task<IReadOnlyList<EcsDocument>> WriteAsync(IReadOnlyList<EcsDocument> batch, CancellationToken ct)
    {
        try
        {
            await catalog.WriteAsync(batch, CancellationToken.None);
            return [];
        }
        catch (Exception e)
        {
            logger.LogError(e, "Writing {Documents} log events to the catalog failed; they are written again", batch.Count);
            return batch;
        }
    }
}
