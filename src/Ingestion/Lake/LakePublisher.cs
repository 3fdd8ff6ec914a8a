using Catalog.Datasets;
using Catalog.Files;
using IngestionLog;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ingestion.Lake;

/// <summary>
/// Writes what waits in this worker's <see cref="LakeSpool"/> to the lake, apart from ingestion: a slow or failing
/// lake never holds coredms back. A source is written whole (each file put atomically under its stable key), then
/// recorded as written on its file and removed from the spool; a failure is recorded with its reason and tried again,
/// waiting twice as long each time up to <see cref="LakeOptions.RetryMaxSeconds"/>. Sources whose file is gone (tenant
/// deleted, record expired) are dropped, as are streamed rows of a dataset that is gone.
/// </summary>
internal sealed class LakePublisher(LakeSpool spool, ILakeStore store, FileSinks sinks, FileCatalog files, DatasetCatalog datasets, IOptions<LakeOptions> options, TimeProvider clock,
    ILogger<LakePublisher> logger) : BackgroundService
{
    private readonly Dictionary<string, (int Attempts, DateTimeOffset Next)> _failing = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                foreach (var (manifest, folder) in spool.Waiting().ToList())
                {
                    if (!_failing.TryGetValue(folder, out var failing) || failing.Next <= clock.GetUtcNow())
                    {
                        await PublishAsync(manifest, folder, failing.Attempts, ct);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "The lake publisher failed; it looks at the spool again shortly");
            }

            var wait = _failing.Count == 0 ? TimeSpan.FromSeconds(5)
                : TimeSpan.FromTicks(Math.Clamp((_failing.Values.Min(f => f.Next) - clock.GetUtcNow()).Ticks, TimeSpan.TicksPerMillisecond * 50, TimeSpan.TicksPerSecond * 5));
            try
            {
                await spool.WaitAsync(wait, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task PublishAsync(LakeManifest manifest, string folder, int attempts, CancellationToken ct)
    {
        if (manifest.Stream ? await datasets.GetAsync(manifest.Tenant, manifest.Dataset, ct) is null : await files.GetAsync(manifest.Tenant, manifest.FileId, ct) is null)
        {
            Directory.Delete(folder, recursive: true);
            _failing.Remove(folder);
            return;
        }

        attempts++;
        try
        {
            foreach (var part in manifest.Parts)
            {
                await store.PutAsync(manifest.KeyOf(part), Path.Combine(folder, part.Key), ct);
            }
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            var wait = TimeSpan.FromSeconds(Math.Min(Math.Pow(2, attempts - 1), options.Value.RetryMaxSeconds));
            _failing[folder] = (attempts, clock.GetUtcNow() + wait);
            if (!manifest.Stream)
            {
                await sinks.SaveAsync(manifest.SinkRecord(SinkStatus.Retrying, attempts, e.Message, clock.GetUtcNow()), ct);
            }

            logger.IngestionEvent(IngestionEvents.LakeFailed, "{EventAction}: {TenantId}/{Dataset} {FileId}: writing {Files} lake files failed (attempt {Attempts}), tried again in {RetrySeconds} s: {ErrorMessage}",
                manifest.Tenant, manifest.Dataset, manifest.FileId, manifest.Parts.Count, attempts, wait.TotalSeconds, e.Message);
            return;
        }

        if (!manifest.Stream)
        {
            await sinks.SaveAsync(manifest.SinkRecord(SinkStatus.Written, attempts, null, clock.GetUtcNow()), ct);
        }

        Directory.Delete(folder, recursive: true);
        _failing.Remove(folder);
        logger.IngestionEvent(IngestionEvents.LakeWritten, "{EventAction}: {TenantId}/{Dataset} {FileId}: {RowsLoaded} rows written to the lake in {Files} files",
            manifest.Tenant, manifest.Dataset, manifest.FileId, manifest.Rows, manifest.Parts.Count);
    }
}

/// <summary>A tenant's lake files and spool go with the tenant.</summary>
internal sealed class LakeTenantData(LakeSpool spool, ILakeStore store) : Catalog.Tenants.ITenantData
{
    public async Task DeleteTenantAsync(string tenant, CancellationToken ct)
    {
        spool.DeleteTenant(tenant);
        var objects = await store.ListAsync(tenant + "/", ct);
        await store.DeleteAsync(objects.Select(o => o.Key).ToList(), ct);
    }
}
