using Catalog.Agreements;
using Catalog.Datasets;
using Catalog.Files;
using Catalog.Logs;
using Catalog.Runs;
using Catalog.Usage;
using Microsoft.Extensions.Logging;

namespace Catalog.Tenants;

/// <summary>What deleting a tenant did, or why it did not.</summary>
public sealed record TenantDeleted(bool Deleted, string? Refusal = null);

/// <summary>
/// Deletes a tenant and everything the platform keeps for it: its keyspaces (rows and quarantine), datasets,
/// agreement (its schedule goes with it), files and runs, usage, ingestion log events in the catalog, and its
/// staging folder. The tenant row goes first, so its tokens stop working before the rest is removed. A tenant with
/// a run in progress is refused: the run would write to what is being removed.
/// </summary>
public sealed class TenantDeletion(TenantCatalog tenants, DatasetCatalog datasets, AgreementCatalog agreements, FileCatalog files,
    RunCatalog runs, UsageLedger usage, LogCatalog logs, StagingArea staging, ILogger<TenantDeletion> logger)
{
    public async Task<TenantDeleted> DeleteAsync(string tenant, CancellationToken ct)
    {
        if ((await runs.ListAsync(tenant, ct)).FirstOrDefault(r => r.Status == RunStatus.Running) is { } running)
        {
            return new TenantDeleted(false, $"Run {running.RunId} of tenant '{tenant}' is in progress; delete the tenant once it has finished.");
        }

        await tenants.DeleteAsync(tenant, ct);
        await agreements.DeleteAsync(tenant, ct);
        await datasets.DeleteAllAsync(tenant, ct);
        await runs.DeleteAllAsync(tenant, ct);
        await files.DeleteAllAsync(tenant, ct);
        await usage.DeleteAsync(tenant, ct);
        await logs.DeleteTenantAsync(tenant, ct);
        var folder = staging.Tenant(tenant);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        logger.LogWarning("Tenant {DeletedTenant} was deleted with its keyspaces, catalog records, staged files and log events", tenant);
        return new TenantDeleted(true);
    }
}
