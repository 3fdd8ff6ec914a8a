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
    string? RunId = null);

/// <summary>
/// The files of each tenant. <see cref="FileRecord.Path"/> is relative to the tenant's staging folder.
/// File ids are version-7 UUIDs, so ids sort by arrival.
/// </summary>
public sealed class FileCatalog(ICoredms coredms)
{
    private static readonly TableSchema Table = PlatformTables.Files;

    public static string NewId() => Guid.CreateVersion7().ToString("N");

    public async Task SaveAsync(FileRecord file, CancellationToken ct)
    {
        var row = new RowBatch(Table, 1);
        Set(row, "tenant", file.Tenant);
        Set(row, "file_id", file.FileId);
        Set(row, "dataset", file.Dataset);
        Set(row, "name", file.Name);
        Set(row, "path", file.Path);
        Set(row, "status", file.Status);
        Set(row, "bytes", file.Bytes);
        Set(row, "rows_read", file.RowsRead);
        Set(row, "rows_loaded", file.RowsLoaded);
        Set(row, "rows_quarantined", file.RowsQuarantined);
        Set(row, "rows_skipped", file.RowsSkipped);
        Set(row, "received_at", file.ReceivedAt);
        Set(row, "started_at", file.StartedAt);
        Set(row, "finished_at", file.FinishedAt);
        Set(row, "error", file.Error);
        Set(row, "owner", file.Owner);
        Set(row, "lease_until", file.LeaseUntil);
        Set(row, "attempts", file.Attempts);
        Set(row, "run_id", file.RunId);
        row.EndRow();
        await coredms.SaveSeriallyAsync(row, ct);
    }

    public async Task<FileRecord?> GetAsync(string tenant, string fileId, CancellationToken ct)
    {
        var page = await coredms.SelectAsync(Table, new SelectQuery([tenant, fileId], 1), ct);
        return page.Rows.Count == 0 ? null : ToRecord(page.Rows[0]);
    }

    /// <summary>The tenant's files, oldest first.</summary>
    public async Task<IReadOnlyList<FileRecord>> ListAsync(string tenant, CancellationToken ct)
    {
        var files = new List<FileRecord>();
        string? state = null;
        do
        {
            var page = await coredms.SelectAsync(Table, new SelectQuery([tenant], 1000, state), ct);
            files.AddRange(page.Rows.Select(ToRecord));
            state = page.PagingState;
        }
        while (state is not null);

        return files;
    }

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
        return await coredms.UpdateIfAsync(Table, [file.Tenant, file.FileId], changes, expected, ct: ct) ? claimed : null;
    }

    /// <summary>Extends the claim and records progress; false when the claim was lost.</summary>
    public Task<bool> RenewAsync(FileRecord claimed, DateTimeOffset leaseUntil, long rowsRead, CancellationToken ct) =>
        coredms.UpdateIfAsync(Table, [claimed.Tenant, claimed.FileId],
            new Dictionary<string, object?> { ["lease_until"] = leaseUntil, ["rows_read"] = rowsRead },
            new Dictionary<string, object?> { ["owner"] = claimed.Owner }, ct: ct);

    /// <summary>Extends the claim (if this owner still holds it) without touching its progress.</summary>
    public Task<bool> ExtendAsync(FileRecord claimed, DateTimeOffset leaseUntil, CancellationToken ct) =>
        coredms.UpdateIfAsync(Table, [claimed.Tenant, claimed.FileId], new Dictionary<string, object?> { ["lease_until"] = leaseUntil },
            new Dictionary<string, object?> { ["owner"] = claimed.Owner }, ct: ct);

    /// <summary>Records where a claimed file now is.</summary>
    public Task<bool> SetPathAsync(FileRecord claimed, CancellationToken ct) =>
        coredms.UpdateIfAsync(Table, [claimed.Tenant, claimed.FileId], new Dictionary<string, object?> { ["path"] = claimed.Path },
            new Dictionary<string, object?> { ["owner"] = claimed.Owner }, ct: ct);

    /// <summary>Records the outcome and releases the claim; false when the claim had been lost.</summary>
    public Task<bool> FinishAsync(FileRecord claimed, CancellationToken ct) =>
        coredms.UpdateIfAsync(Table, [claimed.Tenant, claimed.FileId], new Dictionary<string, object?>
        {
            ["status"] = claimed.Status, ["path"] = claimed.Path, ["rows_read"] = claimed.RowsRead, ["rows_loaded"] = claimed.RowsLoaded,
            ["rows_quarantined"] = claimed.RowsQuarantined, ["rows_skipped"] = claimed.RowsSkipped, ["finished_at"] = claimed.FinishedAt,
            ["error"] = claimed.Error, ["owner"] = null, ["lease_until"] = null,
        }, new Dictionary<string, object?> { ["owner"] = claimed.Owner }, ct: ct);

    /// <summary>Puts a claimed file back to staged (for example when the tenant's app failed), keeping the reason.</summary>
    public Task<bool> ReleaseAsync(FileRecord claimed, string reason, CancellationToken ct) =>
        coredms.UpdateIfAsync(Table, [claimed.Tenant, claimed.FileId], new Dictionary<string, object?>
        {
            ["status"] = FileStatus.Staged, ["error"] = reason, ["owner"] = null, ["lease_until"] = null, ["run_id"] = null,
        }, new Dictionary<string, object?> { ["owner"] = claimed.Owner }, ct: ct);

    public Task DeleteAsync(string tenant, string fileId, CancellationToken ct) => coredms.DeleteAsync(Table, [tenant, fileId], ct);

    /// <summary>Removes the records of every file of the tenant.</summary>
    public Task DeleteAllAsync(string tenant, CancellationToken ct) => coredms.DeleteAsync(Table, [tenant], ct);

    private static void Set(RowBatch row, string column, object? value) => row.SetValue(Table.IndexOf(column), value);

    private static FileRecord ToRecord(object?[] r) => new(
        r.Text(Table, "tenant"),
        r.Text(Table, "file_id"),
        r.Text(Table, "dataset"),
        r.Text(Table, "name"),
        r.Text(Table, "path"),
        r.Text(Table, "status"),
        r.Get<long>(Table, "bytes"),
        r.Get<DateTimeOffset>(Table, "received_at"),
        r.Get<long?>(Table, "rows_read"),
        r.Get<long?>(Table, "rows_loaded"),
        r.Get<long?>(Table, "rows_quarantined"),
        r.Get<long?>(Table, "rows_skipped"),
        r.Get<DateTimeOffset?>(Table, "started_at"),
        r.Get<DateTimeOffset?>(Table, "finished_at"),
        r.Get<string>(Table, "error"),
        r.Get<string>(Table, "owner"),
        r.Get<DateTimeOffset?>(Table, "lease_until"),
        r.Get<int>(Table, "attempts"),
        r.Get<string>(Table, "run_id"));
}
