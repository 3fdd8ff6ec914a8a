using System.Text.Json;
using Coredms;

namespace Catalog.Agreements;

/// <summary>Service agreements, one per tenant, kept as registered.</summary>
public sealed class AgreementCatalog(ICoredms coredms, DataClock clock)
{
    private static readonly TableSchema Table = PlatformTables.Agreements;

    /// <summary>Raised after an agreement is stored, so that schedules can follow it.</summary>
    public event Action<ServiceAgreement>? Changed;

    /// <summary>Stores a validated agreement; true when it replaced an earlier one.</summary>
    public async Task<bool> PutAsync(string tenant, JsonElement document, CancellationToken ct)
    {
        var agreement = ServiceAgreement.From(tenant, document);
        var existed = await GetAsync(tenant, ct) is not null;
        var row = new RowBatch(Table, 1);
        row.SetValue(0, tenant);
        row.SetValue(1, document.GetRawText());
        row.SetValue(2, clock.GetUtcNow());
        row.EndRow();
        await coredms.UpsertAsync(row, null, ct);
        Changed?.Invoke(agreement);
        return existed;
    }

    public Task DeleteAsync(string tenant, CancellationToken ct) => coredms.DeleteAsync(Table, [tenant], ct);

    public async Task<ServiceAgreement?> GetAsync(string tenant, CancellationToken ct)
    {
        var page = await coredms.SelectAsync(Table, new SelectQuery([tenant], 1), ct);
        if (page.Rows.Count == 0)
        {
            return null;
        }

        using var json = JsonDocument.Parse(page.Rows[0].Text(Table, "document"));
        return ServiceAgreement.From(tenant, json.RootElement);
    }
}
