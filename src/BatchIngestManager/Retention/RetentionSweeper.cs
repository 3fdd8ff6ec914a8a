using Catalog.Agreements;
using Catalog.Files;
using Catalog.Runs;
using Catalog.Usage;
using Coredms;
using IngestionLog;
using Microsoft.Extensions.Options;

namespace BatchIngestManager.Retention;

/// <summary>
/// Applies retention: rows and quarantined rows expire through their TTL (set from the agreement at write
/// time), and this sweeper removes expired rows from engines without native TTL, plus files (staged or
/// processed, on disk and in the catalog) and runs older than the tenant's retention.
/// </summary>
public sealed class RetentionSweeper(
    ICoredms coredms, AgreementCatalog agreements, FileCatalog files, RunCatalog runs, QuotaPolicy quotas, StagingArea staging,
    IOptions<BatchOptions> options, DataClock clock, ILogger<RetentionSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(options.Value.RetentionSweepMinutes), clock);
        try
        {
            do
            {
                try
                {
                    await SweepAsync(stoppingToken);
                }
                catch (Exception e) when (e is CoredmsException or IOException)
                {
                    logger.LogError(e, "The retention sweep failed; it will be tried again");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One sweep; returns the rows and files removed.</summary>
    public async Task<(long Rows, int Files)> SweepAsync(CancellationToken ct)
    {
        var rows = await coredms.SweepExpiredAsync(ct);
        var removed = 0;
        var now = clock.GetUtcNow();
        foreach (var agreement in await agreements.ListAsync(ct))
        {
            var tenant = agreement.Tenant;
            var cutoff = now - agreement.Retention;
            foreach (var file in await files.ListAsync(tenant, ct))
            {
                if (file.ReceivedAt < cutoff && file.Status != FileStatus.Processing)
                {
                    DeleteFromDisk(file);
                    await files.DeleteAsync(tenant, file.FileId, ct);
                    if (file.Status == FileStatus.Staged)
                    {
                        await quotas.FileRemovedAsync(tenant, file.Bytes);
                    }

                    removed++;
                }
            }

            foreach (var run in await runs.ListAsync(tenant, ct))
            {
                if (run.RequestedAt < cutoff && RunStatus.IsFinished(run.Status))
                {
                    await runs.DeleteAsync(tenant, run.RunId, ct);
                }
            }
        }

        if (rows > 0 || removed > 0)
        {
            logger.IngestionEvent(IngestionEvents.RetentionSwept, "{EventAction}: removed {RowsExpired} expired rows and {FilesExpired} files past retention",
                rows, removed);
        }

        return (rows, removed);
    }

    private void DeleteFromDisk(FileRecord file)
    {
        var name = Path.GetFileName(file.Path);
        foreach (var candidate in new[]
        {
            staging.Resolve(file.Tenant, file.Path),
            Path.Combine(staging.In(file.Tenant, file.Dataset), name),
            Path.Combine(staging.Processed(file.Tenant), file.Dataset, name),
            Path.Combine(staging.Processed(file.Tenant), file.Dataset, "app-output", name),
        })
        {
            if (File.Exists(candidate))
            {
                File.Delete(candidate);
            }
        }
    }
}
