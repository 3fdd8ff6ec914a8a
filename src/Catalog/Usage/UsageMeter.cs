using Catalog.Agreements;
using Catalog.Datasets;
using Catalog.Files;
using Catalog.Runs;
using Coredms;

namespace Catalog.Usage;

/// <summary>One quota: its limit (null when the agreement sets none) and what is used.</summary>
public sealed record QuotaUsage(string Quota, long? Limit, long Used)
{
    public bool IsExceededBy(long more) => Limit is { } limit && Used + more > limit;
}

/// <summary>A tenant's usage against its agreement's quotas. Days are UTC days.</summary>
public sealed record TenantUsage(QuotaUsage FilesPerDay, QuotaUsage RowsPerDay, QuotaUsage StorageMb, QuotaUsage ConcurrentRuns, long StorageBytes, long StagedBytes);

/// <summary>
/// Measures usage from the catalog and coredms: files received today, rows loaded today (files and events),
/// storage (the tenant's keyspaces plus the files waiting in staging), and runs requested or running.
/// </summary>
public sealed class UsageMeter(FileCatalog files, RunCatalog runs, DatasetCatalog datasets, AgreementCatalog agreements, UsageCounters counters, ICoredms coredms, DataClock clock)
{
    public async Task<TenantUsage> MeasureAsync(string tenant, CancellationToken ct)
    {
        var quotas = (await agreements.GetAsync(tenant, ct))?.Quotas ?? Quotas.Unlimited;
        var now = clock.GetUtcNow();
        var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var all = await files.ListAsync(tenant, ct);
        var filesToday = all.Count(f => f.ReceivedAt >= today);
        var rowsToday = await counters.RowsLoadedTodayAsync(tenant, ct);
        var staged = all.Where(f => f.Status is FileStatus.Staged or FileStatus.Processing).Sum(f => f.Bytes);
        long stored = 0;
        foreach (var keyspace in (await datasets.ListAsync(tenant, ct)).Select(d => d.Keyspace).Distinct())
        {
            stored += await coredms.SizeAsync(keyspace, ct);
        }

        var active = (await runs.ListAsync(tenant, ct)).Count(r => r.Status is RunStatus.Requested or RunStatus.Running);
        return new TenantUsage(
            new QuotaUsage("files_per_day", quotas.FilesPerDay, filesToday),
            new QuotaUsage("rows_per_day", quotas.RowsPerDay, rowsToday),
            new QuotaUsage("storage_mb", quotas.StorageMb, (stored + staged) / (1024 * 1024)),
            new QuotaUsage("concurrent_runs", quotas.ConcurrentRuns ?? 1, active),
            stored,
            staged);
    }
}
