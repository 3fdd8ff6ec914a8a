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
/// processed, on disk and in the catalog), runs, and lake partitions older than the tenant's retention (a
/// partition is as old as its hour's end; files of rows without a partition time, as old as they are).
/// </summary>
public sealed class RetentionSweeper(
    ICoredms coredms, AgreementCatalog agreements, FileCatalog files, FileSinks sinks, RunCatalog runs, QuotaPolicy quotas, StagingArea staging,
    Ingestion.Lake.ILakeStore lake, IOptions<BatchOptions> options, DataClock clock, ILogger<RetentionSweeper> logger) : BackgroundService
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
        var lakeFiles = 0;
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
                    await sinks.DeleteFileAsync(tenant, file.FileId, ct);
                    if (file.Status == FileStatus.Staged)
                    {
                        await quotas.FileRemovedAsync(tenant, file.Bytes);
                    }

                    removed++;
                }
            }

            var expired = (await lake.ListAsync(tenant + "/", ct)).Where(o => LakeTime(o) < cutoff).Select(o => o.Key).ToList();
            await lake.DeleteAsync(expired, ct);
            lakeFiles += expired.Count;

            foreach (var run in await runs.ListAsync(tenant, ct))
            {
                if (run.RequestedAt < cutoff && RunStatus.IsFinished(run.Status))
                {
                    await runs.DeleteAsync(tenant, run.RunId, ct);
                }
            }
        }

        if (rows > 0 || removed > 0 || lakeFiles > 0)
        {
            logger.IngestionEvent(IngestionEvents.RetentionSwept, "{EventAction}: removed {RowsExpired} expired rows, {FilesExpired} files and {LakeFilesExpired} lake files past retention",
                rows, removed, lakeFiles);
        }

        return (rows, removed);
    }

    /// <summary>The end of a lake file's partition hour (<c>.../date=2026-12-01/hour=07/...</c>), or when it was written when it has none.</summary>
    private static DateTimeOffset LakeTime(Ingestion.Lake.LakeObject o)
    {
        var date = o.Key.IndexOf("/date=", StringComparison.Ordinal);
        var hour = o.Key.IndexOf("/hour=", StringComparison.Ordinal);
        return date >= 0 && hour > date
            && DateOnly.TryParseExact(o.Key.AsSpan(date + 6, hour - date - 6), "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var day)
            && int.TryParse(o.Key.AsSpan(hour + 6, 2), System.Globalization.CultureInfo.InvariantCulture, out var h)
            ? new DateTimeOffset(day.ToDateTime(new TimeOnly(h, 0)), TimeSpan.Zero).AddHours(1)
            : o.Modified;
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
