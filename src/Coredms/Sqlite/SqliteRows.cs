using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Coredms.Sqlite;

/// <summary>How a <see cref="RowBatch"/> meets SQLite: the order rows are written in, and their cells bound to statement parameters.</summary>
internal static class SqliteRows
{
    /// <summary>The shard of row <paramref name="row"/>'s partition: FNV-1a over its partition key values in storage form.</summary>
    public static int ShardOf(RowBatch rows, int row, int shards)
    {
        if (shards == 1)
        {
            return 0;
        }

        var hash = 14695981039346656037UL;
        void Mix(ReadOnlySpan<byte> bytes)
        {
            foreach (var b in bytes)
            {
                hash = (hash ^ b) * 1099511628211UL;
            }
        }

        Span<byte> number = stackalloc byte[8];
        var table = rows.Table;
        for (var k = 0; k < table.PartitionKey.Count; k++)
        {
            var c = table.PrimaryKeyIndexes[k];
            if (rows.IsNull(row, c))
            {
                Mix([0]);
                continue;
            }

            switch (table.Columns[c].Type.Storage)
            {
                case ValueStorage.Int64: System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(number, rows.GetInt64(row, c)); Mix(number); break;
                case ValueStorage.Double: System.Buffers.Binary.BinaryPrimitives.WriteDoubleLittleEndian(number, rows.GetDouble(row, c)); Mix(number); break;
                default: Mix(rows.GetBytes(row, c)); break;
            }

            Mix([0xff]);
        }

        return (int)(hash % (ulong)shards);
    }

    /// <summary>The rows at <paramref name="order"/> split by shard, each part keeping their order.</summary>
    public static int[][] SplitByShard(RowBatch rows, int[] order, int shards)
    {
        var of = new int[order.Length];
        var counts = new int[shards];
        for (var i = 0; i < order.Length; i++)
        {
            counts[of[i] = ShardOf(rows, order[i], shards)]++;
        }

        var parts = counts.Select(n => new int[n]).ToArray();
        Array.Clear(counts);
        for (var i = 0; i < order.Length; i++)
        {
            parts[of[i]][counts[of[i]]++] = order[i];
        }

        return parts;
    }

    /// <summary>All of the batch's row indexes, in the order they came.</summary>
    public static int[] AllRows(RowBatch rows)
    {
        var order = new int[rows.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        return order;
    }

    /// <summary>
    /// Puts <paramref name="order"/> (row indexes of the batch) in primary key order, so that the B-tree is walked once
    /// from left to right instead of jumping between pages; rows that already come in key order (a dump, a sorted
    /// export) are only checked. The order is stable: of two rows with one key, the later is still written last and wins.
    /// </summary>
    internal static void SortByKey(RowBatch rows, int[] order)
    {
        var keys = rows.Table.PrimaryKeyIndexes;
        var storage = keys.Select(k => rows.Table.Columns[k].Type.Storage).ToArray();
        int Compare(int a, int b)
        {
            for (var k = 0; k < keys.Count; k++)
            {
                var c = keys[k];
                var result = storage[k] switch
                {
                    ValueStorage.Int64 => rows.GetInt64(a, c).CompareTo(rows.GetInt64(b, c)),
                    ValueStorage.Double => rows.GetDouble(a, c).CompareTo(rows.GetDouble(b, c)),
                    _ => rows.GetBytes(a, c).SequenceCompareTo(rows.GetBytes(b, c)),
                };
                if (result != 0)
                {
                    return result;
                }
            }

            return a.CompareTo(b);
        }

        for (var i = 1; i < order.Length; i++)
        {
            if (Compare(order[i - 1], order[i]) > 0)
            {
                Array.Sort(order, Comparer<int>.Create(Compare));
                return;
            }
        }
    }

    /// <summary>Rows per multi-row INSERT in bulk upserts (fewer statement executions per row).</summary>
    internal const int RowsPerInsert = 32;

    /// <summary>As <see cref="BindRow"/>, through <see cref="BulkBind"/>; a failed bind surfaces at the statement's step.</summary>
    internal static void BulkBindRow(IntPtr statement, RowBatch rows, int row, long? expires, int offset)
    {
        var columns = rows.Table.Columns;
        for (var c = 0; c < columns.Count; c++)
        {
            var p = offset + c + 1;
            if (rows.IsNull(row, c))
            {
                BulkBind.Null(statement, p);
                continue;
            }

            switch (columns[c].Type.Storage)
            {
                case ValueStorage.Int64: BulkBind.Int64(statement, p, rows.GetInt64(row, c)); break;
                case ValueStorage.Double: BulkBind.Double(statement, p, rows.GetDouble(row, c)); break;
                case ValueStorage.Blob: BulkBind.Blob(statement, p, rows.GetBytes(row, c)); break;
                default: BulkBind.Text(statement, p, rows.GetBytes(row, c)); break;
            }
        }

        if (expires is { } e)
        {
            BulkBind.Int64(statement, offset + columns.Count + 1, e);
        }
        else
        {
            BulkBind.Null(statement, offset + columns.Count + 1);
        }
    }

    /// <summary>Binds a row's cells and its expiry to parameters <paramref name="offset"/>+1 onwards.</summary>
    internal static void BindRow(SqliteStatement statement, RowBatch rows, int row, long? expires, int offset = 0)
    {
        var columns = rows.Table.Columns;
        for (var c = 0; c < columns.Count; c++)
        {
            Bind(statement, offset + c + 1, rows, row, c);
        }

        if (expires is { } e)
        {
            statement.BindInt64(offset + columns.Count + 1, e);
        }
        else
        {
            statement.BindNull(offset + columns.Count + 1);
        }
    }

    internal static void BindKey(SqliteStatement statement, int first, RowBatch key, int row, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Bind(statement, first + i, key, row, key.Table.PrimaryKeyIndexes[i]);
        }
    }

    internal static void Bind(SqliteStatement statement, int parameter, RowBatch rows, int row, int column)
    {
        if (rows.IsNull(row, column))
        {
            statement.BindNull(parameter);
            return;
        }

        switch (rows.Table.Columns[column].Type.Storage)
        {
            case ValueStorage.Int64: statement.BindInt64(parameter, rows.GetInt64(row, column)); break;
            case ValueStorage.Double: statement.BindDouble(parameter, rows.GetDouble(row, column)); break;
            case ValueStorage.Blob: statement.BindBlob(parameter, rows.GetBytes(row, column)); break;
            default: statement.BindText(parameter, rows.GetBytes(row, column)); break;
        }
    }
}

/// <summary>The paging state SQLite selects hand out: the last row's primary key in storage form, as base64url JSON.</summary>
internal static class SqlitePagingState
{
    /// <summary>A paging state of a scan across shards: the shard, a dot, and the state within it (empty for its start).</summary>
    public static string AcrossShards(int shard, string? inner) => shard.ToString(CultureInfo.InvariantCulture) + "." + inner;

    public static (int Shard, RowBatch? After) DecodeAcrossShards(TableSchema table, string state, int shards)
    {
        var dot = state.IndexOf('.', StringComparison.Ordinal);
        if (dot < 1 || !int.TryParse(state.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var shard) || shard >= shards)
        {
            throw new PagingStateException();
        }

        return (shard, dot == state.Length - 1 ? null : Decode(table, state[(dot + 1)..]));
    }

    /// <summary>The paging state is the last row's primary key in storage form, as base64url JSON.</summary>
    internal static string Encode(TableSchema table, SqliteStatement select)
    {
        var values = table.PrimaryKeyIndexes.Select(c => table.Columns[c].Type.Storage switch
        {
            ValueStorage.Int64 => (object)select.GetInt64(c),
            ValueStorage.Double => select.GetDouble(c),
            ValueStorage.Blob => Convert.ToBase64String(select.GetBytes(c)),
            _ => Encoding.UTF8.GetString(select.GetBytes(c)),
        }).ToArray();
        return Base64Url(JsonSerializer.SerializeToUtf8Bytes(values));
    }

    internal static RowBatch Decode(TableSchema table, string state)
    {
        try
        {
            using var json = JsonDocument.Parse(FromBase64Url(state));
            var values = json.RootElement.EnumerateArray().ToArray();
            if (values.Length != table.PrimaryKey.Count)
            {
                throw new FormatException();
            }

            var key = new RowBatch(table, 1);
            for (var i = 0; i < values.Length; i++)
            {
                var column = table.PrimaryKeyIndexes[i];
                switch (table.Columns[column].Type.Storage)
                {
                    case ValueStorage.Int64: key.SetInt64(column, values[i].GetInt64()); break;
                    case ValueStorage.Double: key.SetDouble(column, values[i].GetDouble()); break;
                    case ValueStorage.Blob: key.SetBytes(column, Convert.FromBase64String(values[i].GetString()!)); break;
                    default: key.SetText(column, values[i].GetString()!); break;
                }
            }

            key.EndRow();
            return key;
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            throw new PagingStateException(e);
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s + new string('=', (4 - (s.Length % 4)) % 4));
    }
}
