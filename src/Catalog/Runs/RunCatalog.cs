using System.Text.Json;
using Catalog.Files;
using Coredms;

namespace Catalog.Runs;

/// <summary>
/// Run states: requested (waiting), running, then one that says what happened: succeeded (every file loaded
/// whole), partially_succeeded (rows loaded, but some rows or files did not), or failed (nothing loaded, or
/// the run could not go on).
/// </summary>
public static class RunStatus
{
    public const string Requested = "requested";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string PartiallySucceeded = "partially_succeeded";
    public const string Failed = "failed";

    public static bool IsFinished(string status) => status is Succeeded or PartiallySucceeded or Failed;

    /// <summary>The status of a run that ingested <paramref name="files"/> and stopped with <paramref name="error"/> (null when it ran through).</summary>
    public static string Of(IReadOnlyCollection<RunFile> files, string? error)
    {
        var loadedAny = files.Any(f => f.RowsLoaded > 0);
        if (error is null && files.All(f => f.Status == FileStatus.Loaded))
        {
            return Succeeded;
        }

        return loadedAny ? PartiallySucceeded : Failed;
    }
}

/// <summary>One file of a run, as the run reports it.</summary>
public sealed record RunFile(string FileId, string Dataset, string Name, string Status, long RowsRead, long RowsLoaded, long RowsQuarantined, string? Error)
{
    public static RunFile From(FileRecord f) =>
        new(f.FileId, f.Dataset, f.Name, f.Status, f.RowsRead ?? 0, f.RowsLoaded ?? 0, f.RowsQuarantined ?? 0, f.Error);
}

/// <summary>A batch run of one tenant: what started it, for which dataset (all when null), and what it did.</summary>
public sealed record RunRecord(
    string Tenant,
    string RunId,
    string? Dataset,
    string Trigger,
    string Status,
    DateTimeOffset RequestedAt,
    DateTimeOffset? StartedAt = null,
    DateTimeOffset? FinishedAt = null,
    int Files = 0,
    long RowsLoaded = 0,
    long RowsQuarantined = 0,
    string? Error = null,
    string? Owner = null,
    IReadOnlyList<RunFile>? FileResults = null);

/// <summary>
/// Batch runs in the catalog, and the per-tenant lock that keeps two runs of one tenant from overlapping,
/// even across batch manager processes.
/// </summary>
public sealed class RunCatalog(ICoredms coredms, DataClock clock)
{
    private static readonly TableSchema Table = PlatformTables.Runs;
    private static readonly TableSchema Locks = PlatformTables.TenantLocks;

    /// <summary>Raised after a run is requested, so that an executor in this process starts at once.</summary>
    public event Action? Requested;

    /// <summary>Most runs a tenant may have waiting (requested, not yet running).</summary>
    public const int MaxWaiting = 10;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> _requesting = new(StringComparer.Ordinal);

    public async Task<RunRecord> RequestAsync(string tenant, string? dataset, string trigger, CancellationToken ct)
    {
        var run = new RunRecord(tenant, Guid.CreateVersion7().ToString("N"), dataset, trigger, RunStatus.Requested, clock.GetUtcNow());
        await SaveAsync(run, ct);
        Requested?.Invoke();
        return run;
    }

    /// <summary>
    /// Requests a run unless one already waiting covers it (a run of the same dataset, or of all datasets), which is
    /// then returned with <c>Reused</c>; null when <see cref="MaxWaiting"/> runs wait already. Requests of one tenant
    /// take turns in this process, so two at once do not both add a run.
    /// </summary>
    public async Task<(RunRecord? Run, bool Reused)> RequestOnceAsync(string tenant, string? dataset, string trigger, CancellationToken ct)
    {
        var turn = _requesting.GetOrAdd(tenant, _ => new SemaphoreSlim(1, 1));
        await turn.WaitAsync(ct);
        try
        {
            var waiting = (await ListAsync(tenant, ct)).Where(r => r.Status == RunStatus.Requested).ToList();
            if (waiting.FirstOrDefault(r => r.Dataset is null || r.Dataset == dataset) is { } covering)
            {
                return (covering, true);
            }

            return waiting.Count >= MaxWaiting ? (null, false) : (await RequestAsync(tenant, dataset, trigger, ct), false);
        }
        finally
        {
            turn.Release();
        }
    }

    public async Task SaveAsync(RunRecord run, CancellationToken ct)
    {
        var row = new RowBatch(Table, 1);
        row.SetValue(0, run.Tenant);
        row.SetValue(1, run.RunId);
        row.SetValue(2, run.Dataset);
        row.SetValue(3, run.Trigger);
        row.SetValue(4, run.Status);
        row.SetValue(5, run.RequestedAt);
        row.SetValue(6, run.StartedAt);
        row.SetValue(7, run.FinishedAt);
        row.SetValue(8, run.Files);
        row.SetValue(9, run.RowsLoaded);
        row.SetValue(10, run.RowsQuarantined);
        row.SetValue(11, run.Error);
        row.SetValue(12, run.Owner);
        row.SetValue(13, run.FileResults is null ? null : JsonSerializer.Serialize(run.FileResults, FileResultsJson));
        row.EndRow();
        await coredms.SaveSeriallyAsync(row, ct);
    }

    /// <summary>Takes a requested run, atomically; false when another executor took it.</summary>
    public Task<bool> TryStartAsync(RunRecord run, string owner, CancellationToken ct) =>
        coredms.UpdateIfAsync(Table, [run.Tenant, run.RunId],
            new Dictionary<string, object?> { ["status"] = RunStatus.Running, ["owner"] = owner, ["started_at"] = clock.GetUtcNow() },
            new Dictionary<string, object?> { ["status"] = RunStatus.Requested }, ct: ct);

    public async Task<RunRecord?> GetAsync(string tenant, string runId, CancellationToken ct)
    {
        var page = await coredms.SelectAsync(Table, new SelectQuery([tenant, runId], 1), ct);
        return page.Rows.Count == 0 ? null : ToRecord(page.Rows[0]);
    }

    /// <summary>The tenant's runs, oldest first.</summary>
    public async Task<IReadOnlyList<RunRecord>> ListAsync(string tenant, CancellationToken ct)
    {
        var runs = new List<RunRecord>();
        string? state = null;
        do
        {
            var page = await coredms.SelectAsync(Table, new SelectQuery([tenant], 1000, state), ct);
            runs.AddRange(page.Rows.Select(ToRecord));
            state = page.PagingState;
        }
        while (state is not null);

        return runs;
    }

    public Task DeleteAsync(string tenant, string runId, CancellationToken ct) => coredms.DeleteAsync(Table, [tenant, runId], ct);

    /// <summary>Removes every run of the tenant and its lock.</summary>
    public async Task DeleteAllAsync(string tenant, CancellationToken ct)
    {
        await coredms.DeleteAsync(Table, [tenant], ct);
        await coredms.DeleteAsync(Locks, [tenant], ct);
    }

    /// <summary>
    /// Takes the tenant's batch lock for <paramref name="lease"/>; false while another live holder has it. A lock
    /// whose holder <paramref name="isGone"/> says is gone (a killed process of this host) is taken over at once.
    /// </summary>
    public async Task<bool> TryLockAsync(string tenant, string owner, TimeSpan lease, Func<string?, bool> isGone, CancellationToken ct)
    {
        var row = new RowBatch(Locks, 1);
        row.SetValue(0, tenant);
        row.SetValue(1, owner);
        row.SetValue(2, clock.GetUtcNow());
        row.EndRow();
        if (await coredms.InsertIfAbsentAsync(row, lease, ct))
        {
            return true;
        }

        var page = await coredms.SelectAsync(Locks, new SelectQuery([tenant], 1), ct);
        var holder = page.Rows.Count == 1 ? page.Rows[0][1] as string : null;
        return holder is not null && isGone(holder)
            && await coredms.UpdateIfAsync(Locks, [tenant], new Dictionary<string, object?> { ["owner"] = owner, ["acquired_at"] = clock.GetUtcNow() },
                new Dictionary<string, object?> { ["owner"] = holder }, lease, ct);
    }

    /// <summary>Keeps the lock for another lease, if this owner still holds it.</summary>
    public Task<bool> RenewLockAsync(string tenant, string owner, TimeSpan lease, CancellationToken ct) =>
        coredms.UpdateIfAsync(Locks, [tenant], new Dictionary<string, object?> { ["owner"] = owner, ["acquired_at"] = clock.GetUtcNow() },
            new Dictionary<string, object?> { ["owner"] = owner }, lease, ct);

    /// <summary>Releases the lock if this owner still holds it (one conditional delete: a taker-over's lock stays).</summary>
    public Task UnlockAsync(string tenant, string owner, CancellationToken ct) =>
        coredms.DeleteIfAsync(Locks, [tenant], new Dictionary<string, object?> { ["owner"] = owner }, ct);

    private static readonly JsonSerializerOptions FileResultsJson = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static RunRecord ToRecord(object?[] r) => new(
        r.Text(Table, "tenant"), r.Text(Table, "run_id"), r.Get<string>(Table, "dataset"), r.Text(Table, "trigger"), r.Text(Table, "status"),
        r.Get<DateTimeOffset>(Table, "requested_at"), r.Get<DateTimeOffset?>(Table, "started_at"), r.Get<DateTimeOffset?>(Table, "finished_at"),
        r.Get<int>(Table, "files"), r.Get<long>(Table, "rows_loaded"), r.Get<long>(Table, "rows_quarantined"), r.Get<string>(Table, "error"),
        r.Get<string>(Table, "owner"),
        r.Get<string>(Table, "file_results") is { } json ? JsonSerializer.Deserialize<List<RunFile>>(json, FileResultsJson) : null);
}
