using Coredms;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Coredms.Sqlite;

/// <summary>
/// coredms on SQLite: one database file per keyspace, WITHOUT ROWID tables keyed like the Cassandra table,
/// a hidden expiry column for TTLs (expired rows are invisible at once and removed by the sweeper).
/// </summary>
internal sealed class SqliteCoredms : ICoredms, IDisposable
{
    private readonly SqliteOptions _options;
    private readonly DataClock _clock;
    private readonly ConcurrentDictionary<string, SqliteKeyspace> _open = new(StringComparer.Ordinal);
    private readonly Lock _opening = new();

    public SqliteCoredms(IOptions<SqliteOptions> options, DataClock clock)
    {
        _options = options.Value;
        _clock = clock;
        Directory.CreateDirectory(_options.DataDirectory);
    }

    public string Engine => "sqlite";

    private long Now => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    private string PathOf(string keyspace) => Path.Combine(_options.DataDirectory, keyspace + ".db");

    private SqliteKeyspace Open(string keyspace, bool create)
    {
        if (_open.TryGetValue(keyspace, out var open))
        {
            return open;
        }

        if (!KeyspaceNames.IsValidIdentifier(keyspace))
        {
            throw new CoredmsException($"'{keyspace}' is not a valid keyspace name.");
        }

        lock (_opening)
        {
            if (_open.TryGetValue(keyspace, out open))
            {
                return open;
            }

            var path = PathOf(keyspace);
            if (!create && !File.Exists(path))
            {
                throw new CoredmsException($"Keyspace '{keyspace}' does not exist.");
            }

            open = new SqliteKeyspace(keyspace, path, _options);
            _open[keyspace] = open;
            return open;
        }
    }

    private async Task<T> WithKeyspaceAsync<T>(string keyspace, Func<SqliteKeyspace, T> work, CancellationToken ct, bool create = false)
    {
        var ks = Open(keyspace, create);
        await ks.Gate.WaitAsync(ct);
        try
        {
            return work(ks);
        }
        finally
        {
            ks.Gate.Release();
        }
    }

    /// <summary>Statements the keyspace's connection has cached (for tests).</summary>
    internal int CachedStatements(string keyspace) => Open(keyspace, create: false).Connection.CachedStatements;

    public Task EnsureKeyspaceAsync(string keyspace, CancellationToken ct = default) =>
        WithKeyspaceAsync(keyspace, _ => true, ct, create: true);

    public async Task DropKeyspaceAsync(string keyspace, CancellationToken ct = default)
    {
        if (!KeyspaceNames.IsValidIdentifier(keyspace))
        {
            throw new CoredmsException($"'{keyspace}' is not a valid keyspace name.");
        }

        if (_open.TryRemove(keyspace, out var open))
        {
            // Let the statement in progress finish; callers that already hold the keyspace then fail on the closed
            // connection, later ones open the keyspace afresh and find it gone.
            await open.Gate.WaitAsync(ct);
            open.Connection.Dispose();
            open.Gate.Release();
        }

        var path = PathOf(keyspace);
        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
        {
            File.Delete(file);
        }
    }

    public Task EnsureTableAsync(TableSchema table, CancellationToken ct = default) =>
        WithKeyspaceAsync(table.Keyspace, ks =>
        {
            ks.EnsureTable(table);
            return true;
        }, ct);

    public Task UpsertAsync(RowBatch rows, TimeSpan? ttl, CancellationToken ct = default) =>
        WithKeyspaceAsync(rows.Table.Keyspace, ks =>
        {
            var connection = ks.Connection;
            var table = rows.Table;
            long? expires = ttl is { } t ? Now + (long)t.TotalMilliseconds : null;
            connection.InWriteTransaction(() =>
            {
                // Rows go in key order, many per statement: with random keys this is what makes bulk loads fast.
                var order = KeyOrder(rows);
                var width = table.Columns.Count + 1;
                var perStatement = Math.Max(1, Math.Min(RowsPerInsert, 30_000 / width));
                var many = connection.Prepare(SqliteSql.Insert(table, "INSERT OR REPLACE", perStatement));
                var one = connection.Prepare(SqliteSql.Insert(table, "INSERT OR REPLACE"));
                var i = 0;
                for (; i + perStatement <= order.Length; i += perStatement)
                {
                    for (var r = 0; r < perStatement; r++)
                    {
                        BulkBindRow(many.Handle, rows, order[i + r], expires, r * width);
                    }

                    many.Run();
                }

                for (; i < order.Length; i++)
                {
                    BindRow(one, rows, order[i], expires, 0);
                    one.Run();
                }

                return true;
            });

            return true;
        }, ct);

    public Task<bool> InsertIfAbsentAsync(RowBatch row, TimeSpan? ttl, CancellationToken ct = default) =>
        WithKeyspaceAsync(row.Table.Keyspace, ks =>
        {
            var table = row.Table;
            var connection = ks.Connection;
            return connection.InWriteTransaction(() =>
            {
                var purge = connection.Prepare($"DELETE FROM {SqliteSql.Quote(table.Name)} WHERE {SqliteSql.KeyCondition(table, table.PrimaryKey.Count, 2)} AND {SqliteSql.Expires} <= ?1");
                purge.BindInt64(1, Now);
                BindKey(purge, 2, row, 0, table.PrimaryKey.Count);
                purge.Run();

                var insert = connection.Prepare(SqliteSql.Insert(table, "INSERT OR IGNORE"));
                BindRow(insert, row, 0, ttl is { } t ? Now + (long)t.TotalMilliseconds : null);
                insert.Run();
                return connection.Changes == 1;
            });
        }, ct);

    public Task<bool> UpdateIfAsync(TableSchema table, IReadOnlyList<object?> primaryKey, IReadOnlyDictionary<string, object?> changes,
        IReadOnlyDictionary<string, object?> expected, TimeSpan? ttl = null, CancellationToken ct = default)
    {
        var key = RowBatch.OfKey(table, primaryKey);
        var set = RowBatch.OfColumns(table, changes);
        var condition = RowBatch.OfColumns(table, expected);
        return WithKeyspaceAsync(table.Keyspace, ks =>
        {
            // Every value is bound, the expiry too: statements are cached by their text, so a literal would make each one new.
            var sql = new StringBuilder("UPDATE ").Append(SqliteSql.Quote(table.Name)).Append(" SET ");
            var p = 2;
            sql.AppendJoin(", ", changes.Keys.Select(c => $"{SqliteSql.Quote(c)} = ?{p++}"));
            var expiresAt = ttl is null ? 0 : p++;
            if (ttl is not null)
            {
                sql.Append(", ").Append(SqliteSql.Expires).Append(" = ?").Append(expiresAt);
            }

            sql.Append(" WHERE (").Append(SqliteSql.Expires).Append(" IS NULL OR ").Append(SqliteSql.Expires).Append(" > ?1) AND ")
                .Append(SqliteSql.KeyCondition(table, table.PrimaryKey.Count, p));
            p += table.PrimaryKey.Count;
            foreach (var column in expected.Keys)
            {
                sql.Append(" AND ").Append(SqliteSql.Quote(column)).Append(" IS ?").Append(p++);
            }

            var update = ks.Connection.Prepare(sql.ToString());
            update.BindInt64(1, Now);
            p = 2;
            foreach (var column in changes.Keys)
            {
                Bind(update, p++, set, 0, table.IndexOf(column));
            }

            if (ttl is { } t)
            {
                update.BindInt64(expiresAt, Now + (long)t.TotalMilliseconds);
                p++;
            }

            BindKey(update, p, key, 0, table.PrimaryKey.Count);
            p += table.PrimaryKey.Count;
            foreach (var column in expected.Keys)
            {
                Bind(update, p++, condition, 0, table.IndexOf(column));
            }

            update.Run();
            return ks.Connection.Changes == 1;
        }, ct);
    }

    public Task<RowPage> SelectAsync(TableSchema table, SelectQuery query, CancellationToken ct = default)
    {
        if (query.KeyPrefix.Count > table.PrimaryKey.Count)
        {
            throw new ArgumentException("The key prefix is longer than the primary key.", nameof(query));
        }

        var key = RowBatch.OfKey(table, query.KeyPrefix);
        var after = query.PagingState is null ? null : DecodePagingState(table, query.PagingState);
        var limit = Math.Max(1, query.Limit);
        return WithKeyspaceAsync(table.Keyspace, ks =>
        {
            var select = ks.Connection.Prepare(SqliteSql.Select(table, query.KeyPrefix.Count, after is not null));
            select.BindInt64(1, Now);
            var p = 2;
            BindKey(select, p, key, 0, query.KeyPrefix.Count);
            p += query.KeyPrefix.Count;
            if (after is not null)
            {
                BindKey(select, p, after, 0, table.PrimaryKey.Count);
                p += table.PrimaryKey.Count;
            }

            select.BindInt64(p, limit);
            var rows = new List<object?[]>();
            string? next = null;
            while (select.Step())
            {
                var values = new object?[table.Columns.Count];
                for (var c = 0; c < values.Length; c++)
                {
                    var type = table.Columns[c].Type;
                    values[c] = select.IsNull(c) ? null : type.Storage switch
                    {
                        ValueStorage.Int64 => RowBatch.FromStorage(type, select.GetInt64(c), 0, default),
                        ValueStorage.Double => RowBatch.FromStorage(type, 0, select.GetDouble(c), default),
                        _ => RowBatch.FromStorage(type, 0, 0, select.GetBytes(c)),
                    };
                }

                rows.Add(values);
                if (rows.Count == limit)
                {
                    next = EncodePagingState(table, select);
                }
            }

            select.Reset();
            return new RowPage(rows, next);
        }, ct);
    }

    public Task<bool> DeleteIfAsync(TableSchema table, IReadOnlyList<object?> primaryKey, IReadOnlyDictionary<string, object?> expected, CancellationToken ct = default)
    {
        var key = RowBatch.OfKey(table, primaryKey);
        var condition = RowBatch.OfColumns(table, expected);
        return WithKeyspaceAsync(table.Keyspace, ks =>
        {
            var sql = new StringBuilder("DELETE FROM ").Append(SqliteSql.Quote(table.Name)).Append(" WHERE (")
                .Append(SqliteSql.Expires).Append(" IS NULL OR ").Append(SqliteSql.Expires).Append(" > ?1) AND ")
                .Append(SqliteSql.KeyCondition(table, table.PrimaryKey.Count, 2));
            var p = 2 + table.PrimaryKey.Count;
            foreach (var column in expected.Keys)
            {
                sql.Append(" AND ").Append(SqliteSql.Quote(column)).Append(" IS ?").Append(p++);
            }

            var delete = ks.Connection.Prepare(sql.ToString());
            delete.BindInt64(1, Now);
            BindKey(delete, 2, key, 0, table.PrimaryKey.Count);
            p = 2 + table.PrimaryKey.Count;
            foreach (var column in expected.Keys)
            {
                Bind(delete, p++, condition, 0, table.IndexOf(column));
            }

            delete.Run();
            return ks.Connection.Changes == 1;
        }, ct);
    }

    public Task DeleteAsync(TableSchema table, IReadOnlyList<object?> keyPrefix, CancellationToken ct = default)
    {
        var key = RowBatch.OfKey(table, keyPrefix);
        return WithKeyspaceAsync(table.Keyspace, ks =>
        {
            var delete = ks.Connection.Prepare($"DELETE FROM {SqliteSql.Quote(table.Name)} WHERE {SqliteSql.KeyCondition(table, keyPrefix.Count, 1)}");
            BindKey(delete, 1, key, 0, keyPrefix.Count);
            delete.Run();
            return true;
        }, ct);
    }

    public Task<long> SizeAsync(string keyspace, CancellationToken ct = default)
    {
        var path = PathOf(keyspace);
        long size = 0;
        foreach (var file in new[] { path, path + "-wal" })
        {
            if (File.Exists(file))
            {
                size += new FileInfo(file).Length;
            }
        }

        return Task.FromResult(size);
    }

    public async Task<long> SweepExpiredAsync(CancellationToken ct = default)
    {
        long removed = 0;
        foreach (var file in Directory.EnumerateFiles(_options.DataDirectory, "*.db"))
        {
            var keyspace = Path.GetFileNameWithoutExtension(file);
            if (!KeyspaceNames.IsValidIdentifier(keyspace))
            {
                continue;
            }

            removed += await WithKeyspaceAsync(keyspace, ks =>
            {
                long count = 0;
                foreach (var table in ks.TableNames.ToList())
                {
                    var delete = ks.Connection.Prepare($"DELETE FROM {SqliteSql.Quote(table)} WHERE {SqliteSql.Expires} <= ?1");
                    delete.BindInt64(1, Now);
                    delete.Run();
                    count += ks.Connection.Changes;
                }

                return count;
            }, ct);
        }

        return removed;
    }

    /// <summary>
    /// The batch's rows in primary key order, so that the B-tree is walked once from left to right instead of
    /// jumping between pages. The sort is stable: of two rows with one key, the later is still written last and wins.
    /// </summary>
    internal static int[] KeyOrder(RowBatch rows)
    {
        var order = new int[rows.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        var keys = rows.Table.PrimaryKeyIndexes;
        var storage = keys.Select(k => rows.Table.Columns[k].Type.Storage).ToArray();
        var comparer = Comparer<int>.Create((a, b) =>
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
        });
        Array.Sort(order, comparer);
        return order;
    }

    /// <summary>Rows per multi-row INSERT in bulk upserts (fewer statement executions per row).</summary>
    private const int RowsPerInsert = 32;

    /// <summary>As <see cref="BindRow"/>, through <see cref="BulkBind"/>; a failed bind surfaces at the statement's step.</summary>
    private static void BulkBindRow(IntPtr statement, RowBatch rows, int row, long? expires, int offset)
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
    private static void BindRow(SqliteStatement statement, RowBatch rows, int row, long? expires, int offset = 0)
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

    private static void BindKey(SqliteStatement statement, int first, RowBatch key, int row, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Bind(statement, first + i, key, row, key.Table.PrimaryKeyIndexes[i]);
        }
    }

    private static void Bind(SqliteStatement statement, int parameter, RowBatch rows, int row, int column)
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

    /// <summary>The paging state is the last row's primary key in storage form, as base64url JSON.</summary>
    private static string EncodePagingState(TableSchema table, SqliteStatement select)
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

    private static RowBatch DecodePagingState(TableSchema table, string state)
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

    public void Dispose()
    {
        foreach (var ks in _open.Values)
        {
            ks.Dispose();
        }

        _open.Clear();
    }
}
