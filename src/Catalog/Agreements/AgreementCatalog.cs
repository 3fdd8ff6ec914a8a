using System.Text.Json;
using Coredms;

namespace Catalog.Agreements;

/// <summary>Service agreements, one per tenant, kept as registered.</summary>
public sealed class AgreementCatalog(ICoredms coredms, DataClock clock) : Tenants.ITenantData
{
    private readonly CatalogTable<Stored> _table = new(coredms, PlatformTables.Agreements,
        a => new() { ["tenant"] = a.Tenant, ["document"] = a.Document, ["updated_at"] = a.UpdatedAt },
        r => new Stored(r.Text("tenant"), r.Text("document"), r.Get<DateTimeOffset>("updated_at")));

    private sealed record Stored(string Tenant, string Document, DateTimeOffset UpdatedAt)
    {
        public ServiceAgreement Agreement()
        {
            using var json = JsonDocument.Parse(Document);
            return ServiceAgreement.From(Tenant, json.RootElement);
        }
    }

    /// <summary>Raised after an agreement is stored, so that schedules can follow it.</summary>
    public event Action<ServiceAgreement>? Changed;

    /// <summary>Stores a validated agreement; true when it replaced an earlier one.</summary>
    public async Task<bool> PutAsync(string tenant, JsonElement document, CancellationToken ct)
    {
        var agreement = ServiceAgreement.From(tenant, document);
        var existed = await GetAsync(tenant, ct) is not null;
        await _table.SaveAsync(new Stored(tenant, document.GetRawText(), clock.GetUtcNow()), ct);
        Changed?.Invoke(agreement);
        return existed;
    }

    public Task DeleteTenantAsync(string tenant, CancellationToken ct) => _table.DeleteAsync([tenant], ct);

    public async Task<ServiceAgreement?> GetAsync(string tenant, CancellationToken ct) => (await _table.GetAsync([tenant], ct))?.Agreement();

    /// <summary>Every tenant's agreement (tenants without one have none here).</summary>
    public async Task<IReadOnlyList<ServiceAgreement>> ListAsync(CancellationToken ct) => (await _table.ListAsync([], ct)).Select(a => a.Agreement()).ToList();
}
