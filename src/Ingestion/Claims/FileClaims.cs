using Catalog.Files;
using Coredms;
using IngestionLog;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ingestion.Claims;

/// <summary>
/// Who works on a staged file: a claim is taken atomically (staged → processing, or taken over from an owner that
/// is gone), held for a lease that its holder renews, and given back or finished. A crash anywhere leaves the file
/// claimable again once its owner is known to be gone or its lease has lapsed.
/// </summary>
public sealed class FileClaims(FileCatalog files, DataClock clock, WorkerIdentity me, IOptions<ClaimsOptions> options, ILogger<FileClaims> logger)
{
    public TimeSpan Lease => options.Value.Lease;

    /// <summary>True when a file can be claimed now: staged, or processing under an owner that is gone.</summary>
    public bool IsClaimable(FileRecord file) => file.Status == FileStatus.Staged
        || (file.Status == FileStatus.Processing && (file.LeaseUntil < clock.GetUtcNow() || WorkerIdentity.IsDeadHereOrGone(file.Owner)));

    /// <summary>Claims the file for <paramref name="runId"/>; null when it is not claimable or someone else got it first.</summary>
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
                file.Tenant, file.Dataset, file.FileId, claimed.Attempts, runId);
        }

        return claimed;
    }

    /// <summary>Renews a claim with the rows read so far until <paramref name="ct"/> ends or the claim is lost.</summary>
    public async Task RenewAsync(FileRecord claimed, Func<long> rowsRead, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(options.Value.RenewEvery, clock);
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
    public async Task KeepAsync(Func<IReadOnlyCollection<FileRecord>> held, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(options.Value.RenewEvery, clock);
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

    /// <summary>Puts a claimed file back to staged, saying why; false when the claim had been lost.</summary>
    public Task<bool> ReleaseAsync(FileRecord claimed, string reason) => files.ReleaseAsync(claimed, reason, CancellationToken.None);

    /// <summary>Records that a claimed file moved (to <c>processed/</c>), extending its claim in the same write.</summary>
    public Task<bool> MovedAsync(FileRecord moved, CancellationToken ct) => files.MoveAsync(moved, clock.GetUtcNow() + Lease, ct);
}
