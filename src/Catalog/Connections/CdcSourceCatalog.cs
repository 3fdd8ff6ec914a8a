using Coredms;

namespace Catalog.Connections;

/// <summary>
/// A dataset's capture in its tenant's database: the replication slot and publication the platform made there, the
/// source table's columns as last accepted (name and type, comma-separated), and whether the initial snapshot is in
/// coredms (until then, a restart takes the snapshot again from a new slot).
/// </summary>
public sealed record CdcSourceState(string Tenant, string Dataset, string Connection, string SourceTable, string Slot, string Publication, string Columns,
    bool SnapshotDone, DateTimeOffset UpdatedAt);

public sealed class CdcSourceCatalog(ICoredms coredms)
{
    private readonly CatalogTable<CdcSourceState> _table = new(coredms, PlatformTables.CdcSources, s => new()
    {
        ["tenant"] = s.Tenant, ["dataset"] = s.Dataset, ["connection"] = s.Connection, ["source_table"] = s.SourceTable, ["slot"] = s.Slot,
        ["publication"] = s.Publication, ["columns"] = s.Columns, ["snapshot_done"] = s.SnapshotDone, ["updated_at"] = s.UpdatedAt,
    }, r => new CdcSourceState(r.Text("tenant"), r.Text("dataset"), r.Text("connection"), r.Text("source_table"), r.Text("slot"), r.Text("publication"),
        r.Text("columns"), r.Get<bool>("snapshot_done"), r.Get<DateTimeOffset>("updated_at")));

    public Task<CdcSourceState?> GetAsync(string tenant, string dataset, CancellationToken ct) => _table.GetAsync([tenant, dataset], ct);

    public async Task<IReadOnlyList<CdcSourceState>> ListAsync(string tenant, CancellationToken ct) => await _table.ListAsync([tenant], ct);

    public Task SaveAsync(CdcSourceState state, CancellationToken ct) => _table.SaveAsync(state, ct);

    public Task DeleteAsync(string tenant, string dataset, CancellationToken ct) => _table.DeleteAsync([tenant, dataset], ct);
}
