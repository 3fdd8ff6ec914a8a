using Coredms;

namespace Catalog.Files;

/// <summary>File lifecycle states, as the API reports them.</summary>
public static class FileStatus
{
    public const string Staged = "staged";
    public const string Processing = "processing";
    public const string Loaded = "loaded";
    public const string PartiallyLoaded = "partially_loaded";
    public const string Failed = "failed";
}

/// <summary>What a file does to its dataset's rows.</summary>
public static class LoadMode
{
    /// <summary>Its rows are upserted into the dataset's (the default).</summary>
    public const string Append = "append";

    /// <summary>Its rows become the dataset's rows, all at once for readers, once it is loaded (see <c>DatasetReplace</c>).</summary>
    public const string Replace = "replace";
}

/// <summary>A file the platform received, and what happened to it.</summary>
public sealed record FileRecord(
    string Tenant,
    string FileId,
    string Dataset,
    string Name,
    string Path,
    string Status,
    long Bytes,
    DateTimeOffset ReceivedAt,
    long? RowsRead = null,
    long? RowsLoaded = null,
    long? RowsQuarantined = null,
    long? RowsSkipped = null,
    DateTimeOffset? StartedAt = null,
    DateTimeOffset? FinishedAt = null,
    string? Error = null,
    string? Owner = null,
    DateTimeOffset? LeaseUntil = null,
    int Attempts = 0,
    string? RunId = null,
    string? Header = null,
    string Mode = LoadMode.Append);

/// <summary>
/// The files of each tenant. <see cref="FileRecord.Path"/> is relative to the tenant's staging folder.
/// File ids are version-7 UUIDs, so ids sort by arrival.
/// </summary>
public sealed class FileCatalog(ICoredms coredms) : Tenants.ITenantData
{
    private readonly CatalogTable<FileRecord> _table = new(coredms, PlatformTables.Files, f => new()
    {
        ["tenant"] = f.Tenant, ["file_id"] = f.FileId, ["dataset"] = f.Dataset, ["name"] = f.Name, ["path"] = f.Path, ["status"] = f.Status,
        ["bytes"] = f.Bytes, ["rows_read"] = f.RowsRead, ["rows_loaded"] = f.RowsLoaded, ["rows_quarantined"] = f.RowsQuarantined,
        ["rows_skipped"] = f.RowsSkipped, ["received_at"] = f.ReceivedAt, ["started_at"] = f.StartedAt, ["finished_at"] = f.FinishedAt,
        ["error"] = f.Error, ["owner"] = f.Owner, ["lease_until"] = f.LeaseUntil, ["attempts"] = f.Attempts, ["run_id"] = f.RunId,
        ["header"] = f.Header, ["mode"] = f.Mode,
    }, r => new FileRecord(
        r.Text("tenant"), r.Text("file_id"), r.Text("dataset"), r.Text("name"), r.Text("path"), r.Text("status"), r.Get<long>("bytes"),
        r.Get<DateTimeOffset>("received_at"), r.Get<long?>("rows_read"), r.Get<long?>("rows_loaded"), r.Get<long?>("rows_quarantined"),
        r.Get<long?>("rows_skipped"), r.Get<DateTimeOffset?>("started_at"), r.Get<DateTimeOffset?>("finished_at"), r.Get<string>("error"),
        r.Get<string>("owner"), r.Get<DateTimeOffset?>("lease_until"), r.Get<int>("attempts"), r.Get<string>("run_id"),
        r.Get<string>("header"), r.Get<string>("mode") ?? LoadMode.Append));

    public static string NewId() => Guid.CreateVersion7().ToString("N");

    public Task SaveAsync(FileRecord file, CancellationToken ct) => _table.SaveAsync(file, ct);

    public Task<FileRecord?> GetAsync(string tenant, string fileId, CancellationToken ct) => _table.GetAsync([tenant, fileId], ct);

    /// <summary>The tenant's files, oldest first.</summary>
    public async Task<IReadOnlyList<FileRecord>> ListAsync(string tenant, CancellationToken ct) => await _table.ListAsync([tenant], ct);

    /// <summary>
    /// Claims a file for ingestion, atomically (compare-and-set in coredms): a staged file, or one whose
    /// previous owner is gone (<paramref name="reclaim"/>). Null when someone else got it first.
    /// </summary>
    public async Task<FileRecord?> TryClaimAsync(FileRecord file, string owner, DateTimeOffset now, TimeSpan lease, string runId, bool reclaim, CancellationToken ct)
    {
        var expected = reclaim
            ? new Dictionary<string, object?> { ["status"] = FileStatus.Processing, ["owner"] = file.Owner }
            : new Dictionary<string, object?> { ["status"] = FileStatus.Staged };
        var claimed = file with
        {
            Status = FileStatus.Processing, Owner = owner, LeaseUntil = now + lease, StartedAt = now, FinishedAt = null,
            Attempts = file.Attempts + 1, RunId = runId, Error = null,
        };
        var changes = new Dictionary<string, object?>
        {
            ["status"] = claimed.Status, ["owner"] = owner, ["lease_until"] = claimed.LeaseUntil, ["started_at"] = now,
            ["finished_at"] = null, ["attempts"] = claimed.Attempts, ["run_id"] = runId, ["error"] = null,
            ["rows_read"] = null, ["rows_loaded"] = null, ["rows_quarantined"] = null, ["rows_skipped"] = null,
        };
        return await _table.UpdateIfAsync([file.Tenant, file.FileId], changes, expected, ct) ? claimed : null;
    }

    /// <summary>Extends the claim and records progress; false when the claim was lost.</summary>
    public Task<bool> RenewAsync(FileRecord claimed, DateTimeOffset leaseUntil, long rowsRead, CancellationToken ct) =>
        IfOwnedAsync(claimed, new() { ["lease_until"] = leaseUntil, ["rows_read"] = rowsRead }, ct);

    /// <summary>Extends the claim (if this owner still holds it) without touching its progress.</summary>
    public Task<bool> ExtendAsync(FileRecord claimed, DateTimeOffset leaseUntil, CancellationToken ct) =>
        IfOwnedAsync(claimed, new() { ["lease_until"] = leaseUntil }, ct);

    /// <summary>Records where a claimed file now is, extending its claim in the same write.</summary>
    public Task<bool> MoveAsync(FileRecord claimed, DateTimeOffset leaseUntil, CancellationToken ct) =>
        IfOwnedAsync(claimed, new() { ["path"] = claimed.Path, ["lease_until"] = leaseUntil }, ct);

    /// <summary>Records the outcome and releases the claim; false when the claim had been lost.</summary>
    public Task<bool> FinishAsync(FileRecord claimed, CancellationToken ct) => IfOwnedAsync(claimed, new()
    {
        ["status"] = claimed.Status, ["path"] = claimed.Path, ["rows_read"] = claimed.RowsRead, ["rows_loaded"] = claimed.RowsLoaded,
        ["rows_quarantined"] = claimed.RowsQuarantined, ["rows_skipped"] = claimed.RowsSkipped, ["finished_at"] = claimed.FinishedAt,
        ["error"] = claimed.Error, ["owner"] = null, ["lease_until"] = null, ["header"] = claimed.Header,
    }, ct);

    /// <summary>Puts a claimed file back to staged (for example when the tenant's app failed), keeping the reason.</summary>
    public Task<bool> ReleaseAsync(FileRecord claimed, string reason, CancellationToken ct) => IfOwnedAsync(claimed, new()
    {
        ["status"] = FileStatus.Staged, ["error"] = reason, ["owner"] = null, ["lease_until"] = null, ["run_id"] = null,
    }, ct);

    public Task DeleteAsync(string tenant, string fileId, CancellationToken ct) => _table.DeleteAsync([tenant, fileId], ct);

    /// <summary>Removes the records of every file of the tenant.</summary>
    public Task DeleteTenantAsync(string tenant, CancellationToken ct) => _table.DeleteAsync([tenant], ct);

    private Task<bool> IfOwnedAsync(FileRecord claimed, Dictionary<string, object?> changes, CancellationToken ct) =>
        _table.UpdateIfAsync([claimed.Tenant, claimed.FileId], changes, new() { ["owner"] = claimed.Owner }, ct);
}
