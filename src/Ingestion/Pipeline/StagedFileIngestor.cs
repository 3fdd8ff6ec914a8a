using Catalog.Datasets;
using Catalog.Files;
using Catalog.Usage;
using Coredms;
using Ingestion.Claims;
using IngestionLog;
using Microsoft.Extensions.Logging;

namespace Ingestion.Pipeline;

/// <summary>
/// Ingests a claimed file (see <see cref="FileClaims"/>): moved to <c>processed/</c>, read through the pipeline while
/// its claim is renewed with progress, and finished as loaded, partially_loaded or failed with its counts, which
/// then count in the tenant's usage. Its rows are upserts, so ingesting it again after a crash gives the same table
/// and exact counts.
/// </summary>
public sealed class StagedFileIngestor(FileCatalog files, FileClaims claims, StagingArea staging, ICoredms coredms, FileIngestion ingestion, QuotaPolicy quotas,
    DatasetCatalog datasets, DatasetReplace replace, Lake.LakeSpool lake, DataClock clock, ILogger<StagedFileIngestor> logger)
{
    /// <summary>
    /// Ingests a claimed file (from <paramref name="content"/> when a tenant's app rewrote it, else from its staged
    /// copy) into <paramref name="sink"/> (coredms when null) and records the outcome. A file in replace mode goes through
    /// <see cref="DatasetReplace"/>; a file appended while a replace switched the dataset's table is written again to the
    /// new table, so that it comes after the replace rather than vanishing with the old table.
    /// </summary>
    public async Task<FileRecord> IngestClaimedAsync(FileRecord claimed, Dataset dataset, TimeSpan? ttl, string? content, IRowSink? sink, CancellationToken ct)
    {
        var started = clock.GetUtcNow();
        claimed = await MoveToProcessedAsync(claimed, ct);
        var source = content ?? staging.Resolve(claimed.Tenant, claimed.Path);
        long rowsRead = 0;
        using var renewal = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var renewing = claims.RenewAsync(claimed, () => Interlocked.Read(ref rowsRead), renewal.Token);
        IngestionResult result;
        Lake.LakeFileWriter? lakeFiles = null;
        try
        {
            // Into coredms and, when the dataset has a lake sink, into this file's lake files at once (each run of the file anew).
            async Task<IngestionResult> RunAsync(Dataset into)
            {
                var target = sink ?? new CoredmsSink(coredms, ttl);
                if (sink is null && into.Lake is not null)
                {
                    if (lakeFiles is not null)
                    {
                        await lakeFiles.DiscardAsync();
                    }

                    lakeFiles = lake.Begin(into, claimed.FileId, claimed.ReceivedAt);
                    target = new Lake.LakeTeeSink(target, lakeFiles);
                }

                return await ingestion.RunAsync(into, claimed.FileId,
                    () => new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan),
                    target, read => Interlocked.Exchange(ref rowsRead, read), ct: ct);
            }

            // The dataset as registered now: a replace may have moved it to another table since the scan that found the file.
            dataset = await datasets.GetAsync(claimed.Tenant, dataset.Name, ct) ?? dataset;
            if (claimed.Mode == LoadMode.Replace && sink is null)
            {
                var (replacement, refusal) = await replace.BeginAsync(dataset, ct);
                result = replacement is null ? IngestionResult.Failed(refusal!)
                    : await replace.FinishAsync(replacement, claimed.FileId, await RunAsync(replacement.Target), ct);
            }
            else
            {
                result = await RunAsync(dataset);
                while (sink is null && result.Status != FileStatus.Failed && await datasets.SwitchedAwayAsync(dataset, ct) is { } now)
                {
                    dataset = now;
                    result = await RunAsync(dataset);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            result = IngestionResult.Failed($"The file cannot be read: {e.Message}");
        }
        catch when (lakeFiles is not null)
        {
            // The file is ingested again later; its lake files are begun anew then.
            await lakeFiles.DisposeAsync();
            throw;
        }
        finally
        {
            await renewal.CancelAsync();
            await renewing;
        }

        if (lakeFiles is not null)
        {
            // Whatever coredms took goes to the lake too; handed over before the file finishes, so that a crash in between
            // ingests the file again (rewriting the same lake files) rather than leaving them unpublished.
            if (result.RowsLoaded > 0)
            {
                await lake.CompleteAsync(lakeFiles, ct);
            }
            else
            {
                await lakeFiles.DiscardAsync();
            }
        }

        return await FinishAsync(claimed with
        {
            Status = result.Status,
            RowsRead = result.RowsRead,
            RowsLoaded = result.RowsLoaded,
            RowsQuarantined = result.RowsQuarantined,
            RowsSkipped = result.RowsSkipped,
            Error = result.Error,
            Header = result.Header,
            FinishedAt = clock.GetUtcNow(),
        }, started);
    }

    /// <summary>Finishes a claimed file as failed without reading it (the tenant's app wrote nothing for it).</summary>
    public Task<FileRecord> FailAsync(FileRecord claimed, string error) =>
        FinishAsync(claimed with { Status = FileStatus.Failed, Error = error, FinishedAt = clock.GetUtcNow() }, clock.GetUtcNow());

    private async Task<FileRecord> FinishAsync(FileRecord finished, DateTimeOffset started)
    {
        if (!await files.FinishAsync(finished, CancellationToken.None))
        {
            logger.LogWarning("{EventAction}: {TenantId}/{Dataset} file {FileId} was taken over by another worker before it finished; its result here is dropped",
                IngestionEvents.FileFailed, finished.Tenant, finished.Dataset, finished.FileId);
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
        await claims.MovedAsync(moved, ct);
        return moved;
    }

    private void Report(FileRecord f, TimeSpan took)
    {
        if (f.Status == FileStatus.Failed)
        {
            logger.IngestionEvent(IngestionEvents.FileFailed, "{EventAction}: {TenantId}/{Dataset} file {FileId} failed after {RowsRead} rows: {ErrorMessage}",
                f.Tenant, f.Dataset, f.FileId, f.RowsRead, f.Error);
        }

        logger.IngestionEvent(IngestionEvents.RowsLoaded,
            "{EventAction}: {TenantId}/{Dataset} file {FileId} is {FileStatus}: {RowsLoaded} of {RowsRead} rows loaded, {RowsQuarantined} quarantined, {RowsSkipped} skipped, {Bytes} bytes in {EventDuration} ms",
            f.Tenant, f.Dataset, f.FileId, f.Status, f.RowsLoaded, f.RowsRead, f.RowsQuarantined, f.RowsSkipped, f.Bytes, (long)took.TotalMilliseconds);
        if (f.RowsQuarantined > 0)
        {
            logger.IngestionEvent(IngestionEvents.RowsQuarantined, "{EventAction}: {TenantId}/{Dataset} file {FileId}: {RowsQuarantined} rows quarantined",
                f.Tenant, f.Dataset, f.FileId, f.RowsQuarantined);
        }
    }
}
