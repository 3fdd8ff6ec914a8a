using System.Collections.Concurrent;
using Coredms;

namespace Catalog.Usage;

/// <summary>A tenant's usage on one UTC day.</summary>
public sealed record DayUsage(long Files, long RowsLoaded, long RowsQuarantined, long Events)
{
    public static readonly DayUsage None = new(0, 0, 0, 0);

    public DayUsage Plus(DayDelta d) => new(Files + d.Files, RowsLoaded + d.RowsLoaded, RowsQuarantined + d.RowsQuarantined, Events + d.Events);
}

/// <summary>A change to a day's usage (negative to give back a reservation).</summary>
public readonly record struct DayDelta(long Files = 0, long RowsLoaded = 0, long RowsQuarantined = 0, long Events = 0);

/// <summary>
/// The counters quotas are checked against, kept in coredms as data arrives so that reading them costs one row:
/// per tenant and UTC day files received and rows loaded and quarantined, and per tenant the bytes of files waiting
/// in staging. Every change is a compare-and-set that may carry a limit check, so that a check and its reservation
/// are one atomic step even across processes. Within a process, changes to one tenant's counters take turns (no
/// contention to retry); across processes a lost compare-and-set is retried with back-off until it applies. A change
/// never gives up: what the platform has stored is always counted.
/// </summary>
public sealed class UsageLedger(ICoredms coredms, DataClock clock)
{
    private static readonly TableSchema Days = PlatformTables.UsageDays;
    private static readonly TableSchema Staged = PlatformTables.StagedBytes;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _turns = new(StringComparer.Ordinal);

    public DateOnly Today => DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);

    public async Task<DayUsage> DayAsync(string tenant, DateOnly day, CancellationToken ct)
    {
        var page = await coredms.SelectAsync(Days, new SelectQuery([tenant, day], 1), ct);
        return page.Rows.Count == 0 ? DayUsage.None : ToDay(page.Rows[0]);
    }

    /// <summary>
    /// Adds <paramref name="delta"/> to the day, unless <paramref name="allow"/> refuses the usage it would be added to.
    /// Returns whether it applied, and the usage it found.
    /// </summary>
    public Task<(bool Applied, DayUsage Found)> TryAddAsync(string tenant, DateOnly day, DayDelta delta, Func<DayUsage, bool>? allow, CancellationToken ct) =>
        InTurnAsync(tenant, async () =>
        {
            for (var attempt = 0; ; attempt++)
            {
                var page = await coredms.SelectAsync(Days, new SelectQuery([tenant, day], 1), ct);
                var found = page.Rows.Count == 0 ? DayUsage.None : ToDay(page.Rows[0]);
                if (allow is not null && !allow(found))
                {
                    return (false, found);
                }

                var next = found.Plus(delta);
                var applied = page.Rows.Count == 0
                    ? await coredms.InsertIfAbsentAsync(DayRow(tenant, day, next), TimeSpan.FromDays(400), ct)
                    : await coredms.UpdateIfAsync(Days, [tenant, day], Values(next), Values(found, page.Rows[0]), ct: ct);
                if (applied)
                {
                    return (true, found);
                }

                await BackOffAsync(attempt, ct);
            }
        }, ct);

    public async Task AddAsync(string tenant, DateOnly day, DayDelta delta, CancellationToken ct) => await TryAddAsync(tenant, day, delta, null, ct);

    public async Task<long> StagedBytesAsync(string tenant, CancellationToken ct)
    {
        var page = await coredms.SelectAsync(Staged, new SelectQuery([tenant], 1), ct);
        return page.Rows.Count == 0 ? 0 : page.Rows[0][1] as long? ?? 0;
    }

    /// <summary>Adds to the bytes waiting in staging unless <paramref name="allow"/> refuses the total found; returns whether it applied and that total.</summary>
    public Task<(bool Applied, long Found)> TryAddStagedAsync(string tenant, long bytes, Func<long, bool>? allow, CancellationToken ct) =>
        InTurnAsync(tenant, async () =>
        {
            for (var attempt = 0; ; attempt++)
            {
                var page = await coredms.SelectAsync(Staged, new SelectQuery([tenant], 1), ct);
                var found = page.Rows.Count == 0 ? 0 : page.Rows[0][1] as long? ?? 0;
                if (allow is not null && !allow(found))
                {
                    return (false, found);
                }

                var next = Math.Max(0, found + bytes);
                bool applied;
                if (page.Rows.Count == 0)
                {
                    var row = new RowBatch(Staged, 1);
                    row.SetValue(0, tenant);
                    row.SetValue(1, next);
                    row.EndRow();
                    applied = await coredms.InsertIfAbsentAsync(row, null, ct);
                }
                else
                {
                    applied = await coredms.UpdateIfAsync(Staged, [tenant], new Dictionary<string, object?> { ["bytes"] = next },
                        new Dictionary<string, object?> { ["bytes"] = page.Rows[0][1] }, ct: ct);
                }

                if (applied)
                {
                    return (true, found);
                }

                await BackOffAsync(attempt, ct);
            }
        }, ct);

    public async Task AddStagedAsync(string tenant, long bytes, CancellationToken ct) => await TryAddStagedAsync(tenant, bytes, null, ct);

    /// <summary>Sets the bytes waiting in staging to a recount (when nothing else can be changing them: a platform starting alone).</summary>
    public Task SetStagedAsync(string tenant, long bytes, CancellationToken ct) =>
        InTurnAsync(tenant, async () =>
        {
            var row = new RowBatch(Staged, 1);
            row.SetValue(0, tenant);
            row.SetValue(1, bytes);
            row.EndRow();
            await coredms.SaveSeriallyAsync(row, ct);
            return true;
        }, ct);

    /// <summary>Removes every counter of the tenant.</summary>
    public async Task DeleteAsync(string tenant, CancellationToken ct)
    {
        await coredms.DeleteAsync(Days, [tenant], ct);
        await coredms.DeleteAsync(Staged, [tenant], ct);
    }

    private async Task<T> InTurnAsync<T>(string tenant, Func<Task<T>> change, CancellationToken ct)
    {
        var turn = _turns.GetOrAdd(tenant, _ => new SemaphoreSlim(1, 1));
        await turn.WaitAsync(ct);
        try
        {
            return await change();
        }
        finally
        {
            turn.Release();
        }
    }

    /// <summary>Another process changed the row between the read and the write: wait a little (1 to 50 ms, jittered) and read again.</summary>
    private static Task BackOffAsync(int attempt, CancellationToken ct) =>
        Task.Delay(Math.Min(50, 1 << Math.Min(attempt, 6)) + Random.Shared.Next(3), ct);

    private static DayUsage ToDay(object?[] row) => new(
        row[Days.IndexOf("files")] as long? ?? 0, row[Days.IndexOf("rows_loaded")] as long? ?? 0,
        row[Days.IndexOf("rows_quarantined")] as long? ?? 0, row[Days.IndexOf("events")] as long? ?? 0);

    private static Dictionary<string, object?> Values(DayUsage usage, object?[]? stored = null) => new()
    {
        ["files"] = stored is null ? usage.Files : stored[Days.IndexOf("files")],
        ["rows_loaded"] = stored is null ? usage.RowsLoaded : stored[Days.IndexOf("rows_loaded")],
        ["rows_quarantined"] = stored is null ? usage.RowsQuarantined : stored[Days.IndexOf("rows_quarantined")],
        ["events"] = stored is null ? usage.Events : stored[Days.IndexOf("events")],
    };

    private static RowBatch DayRow(string tenant, DateOnly day, DayUsage usage)
    {
        var row = new RowBatch(Days, 1);
        row.SetValue(Days.IndexOf("tenant"), tenant);
        row.SetValue(Days.IndexOf("day"), day);
        foreach (var (column, value) in Values(usage))
        {
            row.SetValue(Days.IndexOf(column), value);
        }

        row.EndRow();
        return row;
    }
}
