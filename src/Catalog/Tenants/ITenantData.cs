namespace Catalog.Tenants;

/// <summary>A part of the catalog that keeps data of each tenant, and removes it all when the tenant is deleted.</summary>
public interface ITenantData
{
    Task DeleteTenantAsync(string tenant, CancellationToken ct);
}
