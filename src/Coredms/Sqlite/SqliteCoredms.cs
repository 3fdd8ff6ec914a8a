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
                var order = SqliteRows.KeyOrder(rows);
                var width = table.Columns.Count + 1;
                var perStatement = Math.Max(1, Math.Min(SqliteRows.RowsPerInsert, 30_000 / width));
                var many = connection.Prepare(SqliteSql.Insert(table, "INSERT OR REPLACE", perStatement));
                var one = connection.Prepare(SqliteSql.Insert(table, "INSERT OR REPLACE"));
                var i = 0;
                for (; i + perStatement <= order.Length; i += perStatement)
                {
                    for (var r = 0; r < perStatement; r++)
                    {
                        SqliteRows.BulkBindRow(many.Handle, rows, order[i + r], expires, r * width);
                    }

                    many.Run();
                }

                for (; i < order.Length; i++)
                {
                    SqliteRows.BindRow(one, rows, order[i], expires, 0);
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
                SqliteRows.BindKey(purge, 2, row, 0, table.PrimaryKey.Count);
                purge.Run();

                var insert = connection.Prepare(SqliteSql.Insert(table, "INSERT OR IGNORE"));
                SqliteRows.BindRow(insert, row, 0, ttl is { } t ? Now + (long)t.TotalMilliseconds : null);
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
                SqliteRows.Bind(update, p++, set, 0, table.IndexOf(column));
            }

            if (ttl is { } t)
            {
                update.BindInt64(expiresAt, Now + (long)t.TotalMilliseconds);
                p++;
            }

            SqliteRows.BindKey(update, p, key, 0, table.PrimaryKey.Count);
            p += table.PrimaryKey.Count;
            foreach (var column in expected.Keys)
            {
                SqliteRows.Bind(update, p++, condition, 0, table.IndexOf(column));
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
        var after = query.PagingState is null ? null : SqlitePagingState.Decode(table, query.PagingState);
        var limit = Math.Max(1, query.Limit);
        return WithKeyspaceAsync(table.Keyspace, ks =>
        {
            var select = ks.Connection.Prepare(SqliteSql.Select(table, query.KeyPrefix.Count, after is not null));
            select.BindInt64(1, Now);
            var p = 2;
            SqliteRows.BindKey(select, p, key, 0, query.KeyPrefix.Count);
            p += query.KeyPrefix.Count;
            if (after is not null)
            {
                SqliteRows.BindKey(select, p, after, 0, table.PrimaryKey.Count);
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
                    next = SqlitePagingState.Encode(table, select);
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
            SqliteRows.BindKey(delete, 2, key, 0, table.PrimaryKey.Count);
            p = 2 + table.PrimaryKey.Count;
            foreach (var column in expected.Keys)
            {
                SqliteRows.Bind(delete, p++, condition, 0, table.IndexOf(column));
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
            SqliteRows.BindKey(delete, 1, key, 0, keyPrefix.Count);
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

    public void Dispose()
    {
        foreach (var ks in _open.Values)
        {
            ks.Dispose();
        }

        _open.Clear();
    }
}
