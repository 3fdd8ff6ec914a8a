using Coredms;

namespace Catalog;

/// <summary>
/// A catalog table whose rows are records of <typeparamref name="T"/>: how a record becomes a row and back, by column
/// name (a name the table lacks is an error at once, not a value in the wrong column), and the reads and writes the
/// catalog classes share.
/// </summary>
internal sealed class CatalogTable<T>(ICoredms coredms, TableSchema schema, Func<T, Dictionary<string, object?>> toRow, Func<RowReader, T> fromRow)
    where T : class
{
    public TableSchema Schema => schema;

    /// <summary>Writes the record's row (serially on engines that need it for tables changed by compare-and-set).</summary>
    public Task SaveAsync(T record, CancellationToken ct, TimeSpan? ttl = null) => coredms.UpsertAsync(Row(record), ttl, ct);

    /// <summary>Inserts the record's row unless a live row has its key; true when inserted.</summary>
    public Task<bool> InsertIfAbsentAsync(T record, TimeSpan? ttl, CancellationToken ct) => coredms.InsertIfAbsentAsync(Row(record), ttl, ct);

    public async Task<T?> GetAsync(IReadOnlyList<object?> key, CancellationToken ct)
    {
        var page = await coredms.SelectAsync(schema, new SelectQuery(key, 1), ct);
        return page.Rows.Count == 0 ? null : Read(page.Rows[0]);
    }

    /// <summary>Every record under the key prefix (the whole table for an empty one), following the pages.</summary>
    public async Task<List<T>> ListAsync(IReadOnlyList<object?> prefix, CancellationToken ct)
    {
        var all = new List<T>();
        await foreach (var row in coredms.SelectAllAsync(schema, prefix, ct))
        {
            all.Add(Read(row));
        }

        return all;
    }

    public Task<bool> UpdateIfAsync(IReadOnlyList<object?> key, Dictionary<string, object?> changes, Dictionary<string, object?> expected, CancellationToken ct,
        TimeSpan? ttl = null) => coredms.UpdateIfAsync(schema, key, changes, expected, ttl, ct);

    public Task<bool> DeleteIfAsync(IReadOnlyList<object?> key, Dictionary<string, object?> expected, CancellationToken ct) =>
        coredms.DeleteIfAsync(schema, key, expected, ct);

    public Task DeleteAsync(IReadOnlyList<object?> prefix, CancellationToken ct) => coredms.DeleteAsync(schema, prefix, ct);

    /// <summary>Writes the records' rows in one batch.</summary>
    public Task SaveAllAsync(IReadOnlyCollection<T> records, TimeSpan? ttl, CancellationToken ct)
    {
        var rows = new RowBatch(schema, records.Count);
        foreach (var record in records)
        {
            foreach (var (column, value) in toRow(record))
            {
                rows.SetValue(schema.IndexOf(column), value);
            }

            rows.EndRow();
        }

        return coredms.UpsertAsync(rows, ttl, ct);
    }

    /// <summary>The record's columns outside the primary key, for a compare-and-set that rewrites the whole row.</summary>
    public Dictionary<string, object?> Changes(T record) =>
        toRow(record).Where(c => !schema.PrimaryKey.Contains(c.Key)).ToDictionary(c => c.Key, c => c.Value);

    public RowBatch Row(T record) => RowBatch.OfColumns(schema, toRow(record));

    public T Read(object?[] values) => fromRow(new RowReader(schema, values));
}

/// <summary>One stored row, read by column name.</summary>
internal readonly struct RowReader(TableSchema table, object?[] values)
{
    public TValue? Get<TValue>(string column) => values[table.IndexOf(column)] is TValue value ? value : default;

    public string Text(string column) => Get<string>(column) ?? "";
}
