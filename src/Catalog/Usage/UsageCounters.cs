using Coredms;

namespace Catalog.Usage;

/// <summary>
/// Rows loaded and quarantined per tenant and UTC day, added to by every path that loads rows (file runs,
/// streamed files, events). Additions are compare-and-set, so concurrent writers do not lose each other's counts.
/// </summary>
public sealed class UsageCounters(ICoredms coredms, DataClock clock)
{
    private static readonly TableSchema Table = PlatformTables.UsageDays;

    public async Task AddAsync(string tenant, long rowsLoaded, long rowsQuarantined, long events, CancellationToken ct)
    {
        var day = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var page = await coredms.SelectAsync(Table, new SelectQuery([tenant, day], 1), ct);
            if (page.Rows.Count == 0)
            {
                var row = new RowBatch(Table, 1);
                row.SetValue(0, tenant);
                row.SetValue(1, day);
                row.SetValue(2, rowsLoaded);
                row.SetValue(3, rowsQuarantined);
                row.SetValue(4, events);
                row.EndRow();
                if (await coredms.InsertIfAbsentAsync(row, TimeSpan.FromDays(400), ct))
                {
                    return;
                }

                continue;
            }

            var current = page.Rows[0];
            var changes = new Dictionary<string, object?>
            {
                ["rows_loaded"] = (long)current[2]! + rowsLoaded,
                ["rows_quarantined"] = (long)current[3]! + rowsQuarantined,
                ["events"] = (long)current[4]! + events,
            };
            if (await coredms.UpdateIfAsync(Table, [tenant, day], changes, new Dictionary<string, object?> { ["rows_loaded"] = current[2], ["events"] = current[4] }, ct: ct))
            {
                return;
            }
        }

        throw new CoredmsException($"Could not add to the usage of {tenant} after 50 attempts.");
    }

    /// <summary>Removes every day of the tenant's usage.</summary>
    public Task DeleteAsync(string tenant, CancellationToken ct) => coredms.DeleteAsync(Table, [tenant], ct);

    /// <summary>Rows loaded today (UTC).</summary>
    public async Task<long> RowsLoadedTodayAsync(string tenant, CancellationToken ct)
    {
        var day = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var page = await coredms.SelectAsync(Table, new SelectQuery([tenant, day], 1), ct);
        return page.Rows.Count == 0 ? 0 : (long)page.Rows[0][2]!;
    }
}
