using Coredms;

namespace Catalog;

/// <summary>Writes to catalog rows that lightweight transactions also change (files, runs).</summary>
public static class SerialWrites
{
    /// <summary>
    /// Saves a whole row by compare-and-set only: inserted if absent, otherwise updated if it exists. On Cassandra
    /// a lightweight transaction is stamped by the server's clock and a plain upsert by the client's; mixing them
    /// on one row lets a clock a little off make an older write win (a finished run left "running", a claimed
    /// file seen as staged). Never plain upserts, then, where claims and conditional updates happen.
    /// </summary>
    public static async Task SaveSeriallyAsync(this ICoredms coredms, RowBatch row, CancellationToken ct)
    {
        var table = row.Table;
        var key = table.PrimaryKeyIndexes.Select(i => row.GetValue(0, i)).ToList();
        var values = table.Columns.Select((column, i) => (column.Name, Index: i)).Where(c => !table.PrimaryKey.Contains(c.Name))
            .ToDictionary(c => c.Name, c => row.GetValue(0, c.Index));
        while (!await coredms.InsertIfAbsentAsync(row, null, ct))
        {
            if (await coredms.UpdateIfAsync(table, key, values, new Dictionary<string, object?>(), ct: ct))
            {
                return;
            }

            // Deleted between the two (a retention sweep): insert it again.
        }
    }
}
