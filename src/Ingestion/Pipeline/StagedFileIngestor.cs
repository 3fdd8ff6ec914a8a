using Catalog.Datasets;
using Catalog.Files;
using Catalog.Usage;
using Coredms;
using Ingestion.Claims;
using IngestionLog;
using Microsoft.Extensions.Logging;

namespace Ingestion.Pipeline;

/// <summary>
/// The life of a staged file: claimed atomically (staged → processing, or taken over from an owner that is
/// gone), moved to <c>processed/</c>, ingested while its lease is renewed with progress, and finished as
/// loaded, partially_loaded or failed with its counts. A crash anywhere leaves the file claimable again; its
/// rows are upserts, so ingesting it again from the start gives the same table and exact counts.
/// </summary>
public sealed class StagedFileIngestor(FileCatalog files, StagingArea staging, ICoredms coredms, FileIngestion ingestion, QuotaPolicy quotas,
    DataClock clock, WorkerIdentity me, Microsoft.Extensions.Options.IOptions<ClaimsOptions> claims, ILogger<StagedFileIngestor> logger)
{
    private TimeSpan Lease => claims.Value.Lease;

    /// <summary>True when a file can be claimed now: staged, or processing under an owner that is gone.</summary>
    public bool IsClaimable(FileRecord file) => file.Status == FileStatus.Staged
        || (file.Status == FileStatus.Processing && (file.LeaseUntil < clock.GetUtcNow() || WorkerIdentity.IsDeadHereOrGone(file.Owner)));

    public async Task<FileRecord?> TryClaimAsync(FileRecord file, string runId, CancellationToken ct)
    {
        if (!IsClaimable(file))
        {
            return null;
        }

        var claimed = await files.TryClaimAsync(file, me.Id, clock.GetUtcNow(), Lease, runId, reclaim: file.Status == FileStatus.Processing, ct);
        if (claimed is not null)
        {
            logger.IngestionEvent(IngestionEvents.FileClaimed, "{EventAction}: {TenantId}/{Dataset} file {FileId} (attempt {Attempt}) in run {RunId}",
                IngestionEvents.FileClaimed, file.Tenant, file.Dataset, file.FileId, claimed.Attempts, runId);
        }

        return claimed;
    }

    /// <summary>
    /// Ingests a claimed file (from <paramref name="content"/> when a tenant's app rewrote it, else from its staged
    /// copy) into <paramref name="sink"/> (coredms when null) and records the outcome.
    /// </summary>
    public async Task<FileRecord> IngestClaimedAsync(FileRecord claimed, Dataset dataset, TimeSpan? ttl, string? content, IRowSink? sink, CancellationToken ct)
    {
        var started = clock.GetUtcNow();
        claimed = await MoveToProcessedAsync(claimed, ct);
        var source = content ?? staging.Resolve(claimed.Tenant, claimed.Path);
        long rowsRead = 0;
        using var renewal = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var renewing = RenewAsync(claimed, () => Interlocked.Read(ref rowsRead), renewal.Token);
        IngestionResult result;
        try
        {
            result = await ingestion.RunAsync(dataset, claimed.FileId,
                () => new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan),
                sink ?? new CoredmsSink(coredms, ttl), read => Interlocked.Exchange(ref rowsRead, read), ct: ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            result = IngestionResult.Failed($"The file cannot be read: {e.Message}");
        }
        finally
        {
            await renewal.CancelAsync();
            await renewing;
        }

        var finished = claimed with
        {
            Status = result.Status,
            RowsRead = result.RowsRead,
            RowsLoaded = result.RowsLoaded,
            RowsQuarantined = result.RowsQuarantined,
            RowsSkipped = result.RowsSkipped,
            Error = result.Error,
            FinishedAt = clock.GetUtcNow(),
        };
        if (!await files.FinishAsync(finished, CancellationToken.None))
        {
            logger.LogWarning("{EventAction}: {TenantId}/{Dataset} file {FileId} was taken over by another worker before it finished; its result here is dropped",
                IngestionEvents.FileFailed, claimed.Tenant, claimed.Dataset, claimed.FileId);
            return finished;
        }

        await quotas.FileIngestedAsync(finished.Tenant, finished.Bytes, finished.RowsLoaded ?? 0, finished.RowsQuarantined ?? 0);
        Report(finished, clock.GetUtcNow() - started);
        return finished;
    }

    private async Task<FileRecord> MoveToProcessedAsync(FileRecord claimed, CancellationToken ct)
    {
        var current = staging.Resolve(claimed.Tenant, claimed.Path);
        var folder = Path.Combine(staging.Processed(claimed.Tenant), claimed.Dataset);
        var target = Path.Combine(folder, Path.GetFileName(current));
        if (current == target)
        {
            return claimed;
        }

        Directory.CreateDirectory(folder);
        if (File.Exists(current))
        {
            File.Move(current, target, overwrite: true);
        }
        else if (!File.Exists(target))
        {
            return claimed;
        }

        var moved = claimed with { Path = staging.Relative(claimed.Tenant, target) };
        await files.RenewAsync(moved, clock.GetUtcNow() + Lease, 0, ct);
        await files.SetPathAsync(moved, ct);
        return moved;
    }

    private async Task RenewAsync(FileRecord claimed, Func<long> rowsRead, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(claims.Value.RenewEvery, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                if (!await files.RenewAsync(claimed, clock.GetUtcNow() + Lease, rowsRead(), ct))
                {
                    logger.LogWarning("Lost the claim on {TenantId}/{Dataset} file {FileId}", claimed.Tenant, claimed.Dataset, claimed.FileId);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Keeps the claims on files a run holds but is not ingesting yet (its app runs, or files before them do) until
    /// <paramref name="ct"/> ends; a file being ingested renews its own claim.
    /// </summary>
    public async Task KeepClaimsAsync(Func<IReadOnlyCollection<FileRecord>> held, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(claims.Value.RenewEvery, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                foreach (var file in held())
                {
                    await files.ExtendAsync(file, clock.GetUtcNow() + Lease, ct);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Report(FileRecord f, TimeSpan took)
    {
        if (f.Status == FileStatus.Failed)
        {
            logger.IngestionEvent(IngestionEvents.FileFailed, "{EventAction}: {TenantId}/{Dataset} file {FileId} failed after {RowsRead} rows: {ErrorMessage}",
                IngestionEvents.FileFailed, f.Tenant, f.Dataset, f.FileId, f.RowsRead, f.Error);
        }

        logger.IngestionEvent(IngestionEvents.RowsLoaded,
            "{EventAction}: {TenantId}/{Dataset} file {FileId} is {FileStatus}: {RowsLoaded} of {RowsRead} rows loaded, {RowsQuarantined} quarantined, {RowsSkipped} skipped, {Bytes} bytes in {EventDuration} ms",
            IngestionEvents.RowsLoaded, f.Tenant, f.Dataset, f.FileId, f.Status, f.RowsLoaded, f.RowsRead, f.RowsQuarantined, f.RowsSkipped, f.Bytes, (long)took.TotalMilliseconds);
        if (f.RowsQuarantined > 0)
        {
            logger.IngestionEvent(IngestionEvents.RowsQuarantined, "{EventAction}: {TenantId}/{Dataset} file {FileId}: {RowsQuarantined} rows quarantined",
                IngestionEvents.RowsQuarantined, f.Tenant, f.Dataset, f.FileId, f.RowsQuarantined);
        }
    }
}
