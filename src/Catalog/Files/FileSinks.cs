using Coredms;

namespace Catalog.Files;

/// <summary>Where a file stands in one of its dataset's sinks besides coredms.</summary>
public static class SinkStatus
{
    /// <summary>Its rows are spooled on the worker that ingested it and wait to be written.</summary>
    public const string Pending = "pending";

    /// <summary>A write failed; it is tried again (see the error and attempts).</summary>
    public const string Retrying = "retrying";

    /// <summary>Every spooled row is in the sink.</summary>
    public const string Written = "written";
}

/// <summary>What one sink wrote of one file: <paramref name="Rows"/> rows in <paramref name="Files"/> files once written.</summary>
public sealed record FileSinkRecord(string Tenant, string FileId, string Sink, string Dataset, string Status, long Rows, int Files, int Attempts, string? Error,
    DateTimeOffset UpdatedAt);

/// <summary>Each file's progress in the sinks besides coredms, kept apart from the file's record so that a sink never races its ingestion.</summary>
public sealed class FileSinks(ICoredms coredms) : Tenants.ITenantData
{
    private readonly CatalogTable<FileSinkRecord> _table = new(coredms, PlatformTables.FileSinks, s => new()
    {
        ["tenant"] = s.Tenant, ["file_id"] = s.FileId, ["sink"] = s.Sink, ["dataset"] = s.Dataset, ["status"] = s.Status, ["rows"] = s.Rows,
        ["files"] = s.Files, ["attempts"] = s.Attempts, ["error"] = s.Error, ["updated_at"] = s.UpdatedAt,
    }, r => new FileSinkRecord(r.Text("tenant"), r.Text("file_id"), r.Text("sink"), r.Text("dataset"), r.Text("status"), r.Get<long>("rows"), r.Get<int>("files"),
        r.Get<int>("attempts"), r.Get<string>("error"), r.Get<DateTimeOffset>("updated_at")));

    public Task SaveAsync(FileSinkRecord record, CancellationToken ct) => _table.SaveAsync(record, ct);

    public Task<List<FileSinkRecord>> OfFileAsync(string tenant, string fileId, CancellationToken ct) => _table.ListAsync([tenant, fileId], ct);

    public Task<List<FileSinkRecord>> OfTenantAsync(string tenant, CancellationToken ct) => _table.ListAsync([tenant], ct);

    public Task DeleteFileAsync(string tenant, string fileId, CancellationToken ct) => _table.DeleteAsync([tenant, fileId], ct);

    public Task DeleteTenantAsync(string tenant, CancellationToken ct) => _table.DeleteAsync([tenant], ct);
}
