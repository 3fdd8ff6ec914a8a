using Catalog.Files;
using Catalog.Runs;
using Microsoft.Extensions.Logging;

namespace Catalog.Tenants;

/// <summary>What deleting a tenant did, or why it did not.</summary>
public sealed record TenantDeleted(bool Deleted, string? Refusal = null);

/// <summary>
/// Deletes a tenant and everything the platform keeps for it: every part of the catalog that holds tenant data
/// (<see cref="ITenantData"/>: its keyspaces with rows and quarantine, datasets, agreement and with it its schedule,
/// files, runs, usage, ingestion log events) and its staging folder. The tenant row goes first, so its tokens stop
/// working before the rest is removed. A tenant with a run in progress is refused: the run would write to what is
/// being removed.
/// </summary>
public sealed class TenantDeletion(TenantCatalog tenants, RunCatalog runs, IEnumerable<ITenantData> parts, StagingArea staging, ILogger<TenantDeletion> logger)
{
    public async Task<TenantDeleted> DeleteAsync(string tenant, CancellationToken ct)
    {
        if ((await runs.UnfinishedAsync(tenant, ct)).FirstOrDefault(r => r.Status == RunStatus.Running) is { } running)
        {
            return new TenantDeleted(false, $"Run {running.RunId} of tenant '{tenant}' is in progress; delete the tenant once it has finished.");
        }

        await tenants.DeleteAsync(tenant, ct);
        foreach (var part in parts)
        {
            await part.DeleteTenantAsync(tenant, ct);
        }

        var folder = staging.Tenant(tenant);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        logger.LogWarning("Tenant {DeletedTenant} was deleted with its keyspaces, catalog records, staged files and log events", tenant);
        return new TenantDeleted(true);
    }
}
