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

/// <summary>
/// One file of a run, as the run reports it; <see cref="IngestedBy"/> names the run (or <c>stream</c>) that ingested it
/// when that was not this run: a file that was waiting when this run was requested, and that another took first.
/// </summary>
public sealed record RunFile(string FileId, string Dataset, string Name, string Status, long RowsRead, long RowsLoaded, long RowsQuarantined, string? Error,
    string? IngestedBy = null)
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
/// Batch runs in the catalog, the queue of runs not finished yet (so that finding work never lists a tenant's
/// history), and the per-tenant locks that keep runs from overlapping, even across batch manager processes.
/// </summary>
public sealed class RunCatalog(ICoredms coredms, DataClock clock) : Tenants.ITenantData
{
    private static readonly JsonSerializerOptions FileResultsJson = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly CatalogTable<RunRecord> _runs = new(coredms, PlatformTables.Runs, r => new()
    {
        ["tenant"] = r.Tenant, ["run_id"] = r.RunId, ["dataset"] = r.Dataset, ["trigger"] = r.Trigger, ["status"] = r.Status,
        ["requested_at"] = r.RequestedAt, ["started_at"] = r.StartedAt, ["finished_at"] = r.FinishedAt, ["files"] = r.Files,
        ["rows_loaded"] = r.RowsLoaded, ["rows_quarantined"] = r.RowsQuarantined, ["error"] = r.Error, ["owner"] = r.Owner,
        ["file_results"] = r.FileResults is null ? null : JsonSerializer.Serialize(r.FileResults, FileResultsJson),
    }, r => new RunRecord(
        r.Text("tenant"), r.Text("run_id"), r.Get<string>("dataset"), r.Text("trigger"), r.Text("status"), r.Get<DateTimeOffset>("requested_at"),
        r.Get<DateTimeOffset?>("started_at"), r.Get<DateTimeOffset?>("finished_at"), r.Get<int>("files"), r.Get<long>("rows_loaded"),
        r.Get<long>("rows_quarantined"), r.Get<string>("error"), r.Get<string>("owner"),
        r.Get<string>("file_results") is { } json ? JsonSerializer.Deserialize<List<RunFile>>(json, FileResultsJson) : null));

    private readonly CatalogTable<QueuedRun> _queue = new(coredms, PlatformTables.RunQueue,
        q => new() { ["tenant"] = q.Tenant, ["run_id"] = q.RunId, ["requested_at"] = q.RequestedAt },
        r => new QueuedRun(r.Text("tenant"), r.Text("run_id"), r.Get<DateTimeOffset>("requested_at")));

    private readonly CatalogTable<RunLock> _locks = new(coredms, PlatformTables.TenantLocks,
        l => new() { ["tenant"] = l.Name, ["owner"] = l.Owner, ["acquired_at"] = l.AcquiredAt },
        r => new RunLock(r.Text("tenant"), r.Text("owner"), r.Get<DateTimeOffset>("acquired_at")));

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> _requesting = new(StringComparer.Ordinal);

    private sealed record QueuedRun(string Tenant, string RunId, DateTimeOffset RequestedAt);

    private sealed record RunLock(string Name, string Owner, DateTimeOffset AcquiredAt);

    /// <summary>Raised after a run is requested, so that an executor in this process starts at once.</summary>
    public event Action? Requested;

    /// <summary>Requests a run: queued first, then recorded, so that a recorded request is always found.</summary>
    public async Task<RunRecord> RequestAsync(string tenant, string? dataset, string trigger, CancellationToken ct)
    {
        var run = new RunRecord(tenant, Guid.CreateVersion7().ToString("N"), dataset, trigger, RunStatus.Requested, clock.GetUtcNow());
        await _queue.SaveAsync(new QueuedRun(tenant, run.RunId, run.RequestedAt), ct);
        await _runs.SaveAsync(run, ct);
        Requested?.Invoke();
        return run;
    }

    /// <summary>
    /// Requests a run unless one already waiting covers it (a run of the same dataset, or of all datasets), which is
    /// then returned with <c>Reused</c>; null when <paramref name="maxWaiting"/> runs wait already. Requests of one tenant
    /// take turns in this process, so two at once do not both add a run.
    /// </summary>
    public async Task<(RunRecord? Run, bool Reused)> RequestOnceAsync(string tenant, string? dataset, string trigger, int maxWaiting, CancellationToken ct)
    {
        var turn = _requesting.GetOrAdd(tenant, _ => new SemaphoreSlim(1, 1));
        await turn.WaitAsync(ct);
        try
        {
            var waiting = (await UnfinishedAsync(tenant, ct)).Where(r => r.Status == RunStatus.Requested).ToList();
            if (waiting.FirstOrDefault(r => r.Dataset is null || r.Dataset == dataset) is { } covering)
            {
                return (covering, true);
            }

            return waiting.Count >= maxWaiting ? (null, false) : (await RequestAsync(tenant, dataset, trigger, ct), false);
        }
        finally
        {
            turn.Release();
        }
    }

    /// <summary>
    /// The runs requested or running, oldest first: of one tenant, or of all when <paramref name="tenant"/> is null.
    /// Queue entries whose run has finished (or is gone) are removed on the way.
    /// </summary>
    public async Task<IReadOnlyList<RunRecord>> UnfinishedAsync(string? tenant, CancellationToken ct)
    {
        var unfinished = new List<RunRecord>();
        foreach (var queued in await _queue.ListAsync(tenant is null ? [] : [tenant], ct))
        {
            if (await GetAsync(queued.Tenant, queued.RunId, ct) is { } run && !RunStatus.IsFinished(run.Status))
            {
                unfinished.Add(run);
            }
            else
            {
                await _queue.DeleteAsync([queued.Tenant, queued.RunId], ct);
            }
        }

        return unfinished.OrderBy(r => r.RunId, StringComparer.Ordinal).ToList();
    }

    /// <summary>Takes a requested run, atomically; false when another executor took it.</summary>
    public Task<bool> TryStartAsync(RunRecord run, string owner, CancellationToken ct) =>
        _runs.UpdateIfAsync([run.Tenant, run.RunId], new() { ["status"] = RunStatus.Running, ["owner"] = owner, ["started_at"] = clock.GetUtcNow() },
            new() { ["status"] = RunStatus.Requested }, ct);

    /// <summary>Records a run's outcome and takes it out of the queue.</summary>
    public async Task FinishAsync(RunRecord run, CancellationToken ct)
    {
        await _runs.SaveAsync(run, ct);
        await _queue.DeleteAsync([run.Tenant, run.RunId], ct);
    }

    public Task<RunRecord?> GetAsync(string tenant, string runId, CancellationToken ct) => _runs.GetAsync([tenant, runId], ct);

    /// <summary>The tenant's runs, oldest first.</summary>
    public async Task<IReadOnlyList<RunRecord>> ListAsync(string tenant, CancellationToken ct) => await _runs.ListAsync([tenant], ct);

    public Task DeleteAsync(string tenant, string runId, CancellationToken ct) => _runs.DeleteAsync([tenant, runId], ct);

    /// <summary>Removes every run of the tenant, its queue and its lock.</summary>
    public async Task DeleteTenantAsync(string tenant, CancellationToken ct)
    {
        await _runs.DeleteAsync([tenant], ct);
        await _queue.DeleteAsync([tenant], ct);
        await _locks.DeleteAsync([tenant], ct);
    }

    /// <summary>
    /// Takes the lock <paramref name="name"/> (a tenant's run slot) for <paramref name="lease"/>; false while another live
    /// holder has it. A lock whose holder <paramref name="isGone"/> says is gone (a killed process of this host) is taken over at once.
    /// </summary>
    public async Task<bool> TryLockAsync(string name, string owner, TimeSpan lease, Func<string?, bool> isGone, CancellationToken ct)
    {
        if (await _locks.InsertIfAbsentAsync(new RunLock(name, owner, clock.GetUtcNow()), lease, ct))
        {
            return true;
        }

        var holder = (await _locks.GetAsync([name], ct))?.Owner;
        return holder is not null && isGone(holder)
            && await _locks.UpdateIfAsync([name], new() { ["owner"] = owner, ["acquired_at"] = clock.GetUtcNow() }, new() { ["owner"] = holder }, ct, lease);
    }

    /// <summary>Keeps the lock for another lease, if this owner still holds it.</summary>
    public Task<bool> RenewLockAsync(string name, string owner, TimeSpan lease, CancellationToken ct) =>
        _locks.UpdateIfAsync([name], new() { ["owner"] = owner, ["acquired_at"] = clock.GetUtcNow() }, new() { ["owner"] = owner }, ct, lease);

    /// <summary>Releases the lock if this owner still holds it (one conditional delete: a taker-over's lock stays).</summary>
    public Task UnlockAsync(string name, string owner, CancellationToken ct) => _locks.DeleteIfAsync([name], new() { ["owner"] = owner }, ct);
}
