using Catalog.Agreements;
using Catalog.Runs;

namespace Catalog.Usage;

/// <summary>One quota: its limit (null when the agreement sets none) and what is used.</summary>
public sealed record QuotaUsage(string Quota, long? Limit, long Used);

/// <summary>A tenant's usage against its agreement's quotas. Days are UTC days.</summary>
public sealed record TenantUsage(QuotaUsage FilesPerDay, QuotaUsage RowsPerDay, QuotaUsage StorageMb, QuotaUsage ConcurrentRuns, long StorageBytes, long StagedBytes);

/// <summary>Usage as <c>GET /tenants/{t}/usage</c> shows it: today's counters, storage (keyspaces plus staging), and runs running.</summary>
public sealed class UsageMeter(AgreementCatalog agreements, UsageLedger ledger, QuotaPolicy policy, RunCatalog runs)
{
    public async Task<TenantUsage> MeasureAsync(string tenant, CancellationToken ct)
    {
        var quotas = (await agreements.GetAsync(tenant, ct))?.Quotas ?? Quotas.Unlimited;
        var today = await ledger.DayAsync(tenant, ledger.Today, ct);
        var stored = await policy.StoredBytesAsync(tenant, ct);
        var staged = await ledger.StagedBytesAsync(tenant, ct);
        var running = (await runs.UnfinishedAsync(tenant, ct)).Count(r => r.Status == RunStatus.Running);
        return new TenantUsage(
            new QuotaUsage("files_per_day", quotas.FilesPerDay, today.Files),
            new QuotaUsage("rows_per_day", quotas.RowsPerDay, today.RowsLoaded),
            new QuotaUsage("storage_mb", quotas.StorageMb, (stored + staged) / (1024 * 1024)),
            new QuotaUsage("concurrent_runs", quotas.ConcurrentRuns ?? 1, running),
            stored,
            staged);
    }
}
