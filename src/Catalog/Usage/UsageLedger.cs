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
public sealed class UsageLedger(ICoredms coredms, DataClock clock) : Tenants.ITenantData
{
    private readonly CatalogTable<DayRow> _days = new(coredms, PlatformTables.UsageDays,
        d => new(d.Counts) { ["tenant"] = d.Tenant, ["day"] = d.Day },
        r => new DayRow(r.Text("tenant"), r.Get<DateOnly>("day"), r.Get<long?>("files"), r.Get<long?>("rows_loaded"), r.Get<long?>("rows_quarantined"), r.Get<long?>("events")));

    private readonly CatalogTable<StagedRow> _staged = new(coredms, PlatformTables.StagedBytes,
        s => new() { ["tenant"] = s.Tenant, ["bytes"] = s.Bytes },
        r => new StagedRow(r.Text("tenant"), r.Get<long?>("bytes")));

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _turns = new(StringComparer.Ordinal);

    /// <summary>A day's counters as stored (null where never set: a compare-and-set expects exactly what is there).</summary>
    private sealed record DayRow(string Tenant, DateOnly Day, long? Files, long? RowsLoaded, long? RowsQuarantined, long? Events)
    {
        public DayUsage Usage => new(Files ?? 0, RowsLoaded ?? 0, RowsQuarantined ?? 0, Events ?? 0);

        public Dictionary<string, object?> Counts => new() { ["files"] = Files, ["rows_loaded"] = RowsLoaded, ["rows_quarantined"] = RowsQuarantined, ["events"] = Events };

        public static DayRow Of(string tenant, DateOnly day, DayUsage u) => new(tenant, day, u.Files, u.RowsLoaded, u.RowsQuarantined, u.Events);
    }

    private sealed record StagedRow(string Tenant, long? Bytes);

    public DateTimeOffset Now => clock.GetUtcNow();

    public DateOnly Today => DateOnly.FromDateTime(Now.UtcDateTime);

    public async Task<DayUsage> DayAsync(string tenant, DateOnly day, CancellationToken ct) => (await _days.GetAsync([tenant, day], ct))?.Usage ?? DayUsage.None;

    /// <summary>
    /// Adds <paramref name="delta"/> to the day, unless <paramref name="allow"/> refuses the usage it would be added to.
    /// Returns whether it applied, and the usage it found.
    /// </summary>
    public Task<(bool Applied, DayUsage Found)> TryAddAsync(string tenant, DateOnly day, DayDelta delta, Func<DayUsage, bool>? allow, CancellationToken ct) =>
        InTurnAsync(tenant, async () =>
        {
            for (var attempt = 0; ; attempt++)
            {
                var stored = await _days.GetAsync([tenant, day], ct);
                var found = stored?.Usage ?? DayUsage.None;
                if (allow is not null && !allow(found))
                {
                    return (false, found);
                }

                var next = DayRow.Of(tenant, day, found.Plus(delta));
                var applied = stored is null
                    ? await _days.InsertIfAbsentAsync(next, TimeSpan.FromDays(400), ct)
                    : await _days.UpdateIfAsync([tenant, day], next.Counts, stored.Counts, ct);
                if (applied)
                {
                    return (true, found);
                }

                await BackOffAsync(attempt, ct);
            }
        }, ct);

    public async Task AddAsync(string tenant, DateOnly day, DayDelta delta, CancellationToken ct) => await TryAddAsync(tenant, day, delta, null, ct);

    public async Task<long> StagedBytesAsync(string tenant, CancellationToken ct) => (await _staged.GetAsync([tenant], ct))?.Bytes ?? 0;

    /// <summary>Adds to the bytes waiting in staging unless <paramref name="allow"/> refuses the total found; returns whether it applied and that total.</summary>
    public Task<(bool Applied, long Found)> TryAddStagedAsync(string tenant, long bytes, Func<long, bool>? allow, CancellationToken ct) =>
        InTurnAsync(tenant, async () =>
        {
            for (var attempt = 0; ; attempt++)
            {
                var stored = await _staged.GetAsync([tenant], ct);
                var found = stored?.Bytes ?? 0;
                if (allow is not null && !allow(found))
                {
                    return (false, found);
                }

                var next = Math.Max(0, found + bytes);
                var applied = stored is null
                    ? await _staged.InsertIfAbsentAsync(new StagedRow(tenant, next), null, ct)
                    : await _staged.UpdateIfAsync([tenant], new() { ["bytes"] = next }, new() { ["bytes"] = stored.Bytes }, ct);
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
            await _staged.SaveAsync(new StagedRow(tenant, bytes), ct);
            return true;
        }, ct);

    /// <summary>Removes every counter of the tenant.</summary>
    public async Task DeleteTenantAsync(string tenant, CancellationToken ct)
    {
        await _days.DeleteAsync([tenant], ct);
        await _staged.DeleteAsync([tenant], ct);
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
}
