using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Coredms;
using Microsoft.Extensions.Options;

namespace Coredms.Sqlite;

/// <summary>
/// coredms on SQLite: a keyspace is a few database files (shards: <c>{keyspace}.db</c>, <c>{keyspace}.1.db</c>, ...),
/// each partition in the one its partition key hashes to, so that a bulk load writes them in parallel; WITHOUT ROWID
/// tables keyed like the Cassandra table; a hidden expiry column for TTLs (expired rows are invisible at once and
/// removed by the sweeper). A read by partition touches one shard; a scan of a whole table goes shard by shard.
/// </summary>
internal sealed class SqliteCoredms : ICoredms, IDisposable
{
    private readonly SqliteOptions _options;
    private readonly DataClock _clock;
    private readonly ConcurrentDictionary<string, SqliteKeyspace[]> _open = new(StringComparer.Ordinal);
    private readonly Lock _opening = new();

    public SqliteCoredms(IOptions<SqliteOptions> options, DataClock clock)
    {
        _options = options.Value;
        _clock = clock;
        Directory.CreateDirectory(_options.DataDirectory);
    }

    public string Engine => "sqlite";

    /// <summary>Empties the page cache of each open file that nobody is using at this moment.</summary>
    public void ReleaseMemory()
    {
        foreach (var shard in _open.Values.SelectMany(k => k))
        {
            if (shard.Gate.Wait(0))
            {
                try
                {
                    shard.Connection.Execute("PRAGMA shrink_memory");
                }
                finally
                {
                    shard.Gate.Release();
                }
            }
        }
    }

    private long Now => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    private string PathOf(string keyspace, int shard = 0) => Path.Combine(_options.DataDirectory, shard == 0 ? keyspace + ".db" : $"{keyspace}.{shard}.db");

    private SqliteKeyspace[] Open(string keyspace, bool create)
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
            var exists = File.Exists(path);
            if (!create && !exists)
            {
                throw new CoredmsException($"Keyspace '{keyspace}' does not exist.");
            }

            var first = new SqliteKeyspace(keyspace, path, _options);
            if (!exists)
            {
                first.ShardCount = Math.Max(1, _options.Shards);
            }

            open = [first, .. Enumerable.Range(1, first.ShardCount - 1).Select(i => new SqliteKeyspace(keyspace, PathOf(keyspace, i), _options))];
            _open[keyspace] = open;
            return open;
        }
    }

    /// <summary>How many files the keyspace has (1 when it does not exist, so that its one name is still looked at).</summary>
    private int ShardsOnDisk(string keyspace) => File.Exists(PathOf(keyspace)) ? Open(keyspace, create: false).Length : 1;

    /// <summary>Runs <paramref name="work"/> on one shard, alone on its connection.</summary>
    private static async Task<T> OnShardAsync<T>(SqliteKeyspace shard, Func<SqliteKeyspace, T> work, CancellationToken ct)
    {
        await shard.Gate.WaitAsync(ct);
        try
        {
            return work(shard);
        }
        finally
        {
            shard.Gate.Release();
        }
    }

    /// <summary>Runs <paramref name="work"/> on the shard that holds the partition of <paramref name="key"/>'s first row.</summary>
    private Task<T> OnPartitionAsync<T>(string keyspace, RowBatch key, Func<SqliteKeyspace, T> work, CancellationToken ct)
    {
        var shards = Open(keyspace, create: false);
        return OnShardAsync(shards[SqliteRows.ShardOf(key, 0, shards.Length)], work, ct);
    }

    /// <summary>Runs <paramref name="work"/> on every shard, one after the other; returns the results.</summary>
    private async Task<List<T>> OnEveryShardAsync<T>(string keyspace, Func<SqliteKeyspace, T> work, CancellationToken ct, bool create = false)
    {
        var results = new List<T>();
        foreach (var shard in Open(keyspace, create))
        {
            results.Add(await OnShardAsync(shard, work, ct));
        }

        return results;
    }

    /// <summary>Statements the keyspace's connection has cached (for tests).</summary>
    internal int CachedStatements(string keyspace) => Open(keyspace, create: false).Sum(shard => shard.Connection.CachedStatements);

    public Task EnsureKeyspaceAsync(string keyspace, CancellationToken ct = default) => OnEveryShardAsync(keyspace, _ => true, ct, create: true);

    public async Task DropKeyspaceAsync(string keyspace, CancellationToken ct = default)
    {
        if (!KeyspaceNames.IsValidIdentifier(keyspace))
        {
            throw new CoredmsException($"'{keyspace}' is not a valid keyspace name.");
        }

        var shards = ShardsOnDisk(keyspace);
        if (_open.TryRemove(keyspace, out var open))
        {
            // Let the statement in progress finish; callers that already hold the keyspace then fail on the closed
            // connection, later ones open the keyspace afresh and find it gone.
            foreach (var shard in open)
            {
                await shard.Gate.WaitAsync(ct);
                shard.Connection.Dispose();
                shard.Gate.Release();
            }
        }

        // The first file last: while it exists the keyspace does.
        for (var i = shards - 1; i >= 0; i--)
        {
            var path = PathOf(keyspace, i);
            foreach (var file in new[] { path + "-wal", path + "-shm", path })
            {
                File.Delete(file);
            }
        }
    }

    public async Task DropTableAsync(string keyspace, string table, CancellationToken ct = default)
    {
        if (!KeyspaceNames.IsValidIdentifier(table))
        {
            throw new CoredmsException($"'{table}' is not a valid table name.");
        }

        if (File.Exists(PathOf(keyspace)))
        {
            await OnEveryShardAsync(keyspace, ks =>
            {
                ks.DropTable(table);
                return true;
            }, ct);
        }
    }

    public Task EnsureTableAsync(TableSchema table, CancellationToken ct = default) =>
        OnEveryShardAsync(table.Keyspace, ks =>
        {
            ks.EnsureTable(table);
            return true;
        }, ct);

    /// <summary>
    /// Writes the batch, each shard's rows sorted by key and in one transaction on its own thread (the shards are
    /// separate files, so neither their sorting nor their writing waits for the other).
    /// </summary>
    public async Task UpsertAsync(RowBatch rows, TimeSpan? ttl, CancellationToken ct = default)
    {
        var shards = Open(rows.Table.Keyspace, create: false);
        long? expires = ttl is { } t ? Now + (long)t.TotalMilliseconds : null;
        if (shards.Length == 1)
        {
            var order = SqliteRows.AllRows(rows);
            SqliteRows.SortByKey(rows, order);
            await OnShardAsync(shards[0], ks => Write(ks, rows, order, expires), ct);
            return;
        }

        // On the caller's scheduler: a write made on a lower-priority lane stays there.
        var parts = SqliteRows.SplitByShard(rows, SqliteRows.AllRows(rows), shards.Length);
        await Task.WhenAll(parts.Select((part, s) => part.Length == 0 ? Task.CompletedTask : Task.Factory.StartNew(() =>
        {
            SqliteRows.SortByKey(rows, part);
            return OnShardAsync(shards[s], ks => Write(ks, rows, part, expires), ct);
        }, ct, TaskCreationOptions.DenyChildAttach, TaskScheduler.Current).Unwrap()));
    }

    /// <summary>Inserts the rows at <paramref name="order"/>, many per statement: with random keys this is what makes bulk loads fast.</summary>
    private static bool Write(SqliteKeyspace ks, RowBatch rows, int[] order, long? expires) => ks.Connection.InWriteTransaction(() =>
    {
        var connection = ks.Connection;
        var table = rows.Table;
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

    public Task<bool> InsertIfAbsentAsync(RowBatch row, TimeSpan? ttl, CancellationToken ct = default) =>
        OnPartitionAsync(row.Table.Keyspace, row, ks =>
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
        return OnPartitionAsync(table.Keyspace, key, ks =>
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

    public async Task<RowPage> SelectAsync(TableSchema table, SelectQuery query, CancellationToken ct = default)
    {
        if (query.KeyPrefix.Count > table.PrimaryKey.Count)
        {
            throw new ArgumentException("The key prefix is longer than the primary key.", nameof(query));
        }

        var key = RowBatch.OfKey(table, query.KeyPrefix);
        var limit = Math.Max(1, query.Limit);
        var shards = Open(table.Keyspace, create: false);
        if (shards.Length == 1 || query.KeyPrefix.Count >= table.PartitionKey.Count)
        {
            // One shard holds it all (ShardOf does not read the key when there is one shard).
            var after = query.PagingState is null ? null : SqlitePagingState.Decode(table, query.PagingState);
            return await OnPartitionAsync(table.Keyspace, key, ks => SelectPage(ks, table, key, query.KeyPrefix.Count, after, limit), ct);
        }

        // A scan across partitions: shard by shard, the paging state saying which shard and where in it.
        var (from, inner) = query.PagingState is null ? (0, null) : SqlitePagingState.DecodeAcrossShards(table, query.PagingState, shards.Length);
        var rows = new List<object?[]>();
        for (var s = from; s < shards.Length; s++, inner = null)
        {
            var page = await OnShardAsync(shards[s], ks => SelectPage(ks, table, key, query.KeyPrefix.Count, inner, limit - rows.Count), ct);
            rows.AddRange(page.Rows);
            if (page.PagingState is not null)
            {
                return new RowPage(rows, SqlitePagingState.AcrossShards(s, page.PagingState));
            }

            if (rows.Count == limit)
            {
                return new RowPage(rows, s + 1 < shards.Length ? SqlitePagingState.AcrossShards(s + 1, null) : null);
            }
        }

        return new RowPage(rows, null);
    }

    /// <summary>Up to <paramref name="limit"/> live rows of one shard after <paramref name="after"/>; a paging state when the page is full.</summary>
    private RowPage SelectPage(SqliteKeyspace ks, TableSchema table, RowBatch key, int prefix, RowBatch? after, int limit)
    {
        var select = ks.Connection.Prepare(SqliteSql.Select(table, prefix, after is not null));
        select.BindInt64(1, Now);
        var p = 2;
        SqliteRows.BindKey(select, p, key, 0, prefix);
        p += prefix;
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
    }

    public Task<bool> DeleteIfAsync(TableSchema table, IReadOnlyList<object?> primaryKey, IReadOnlyDictionary<string, object?> expected, CancellationToken ct = default)
    {
        var key = RowBatch.OfKey(table, primaryKey);
        var condition = RowBatch.OfColumns(table, expected);
        return OnPartitionAsync(table.Keyspace, key, ks =>
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
        bool Delete(SqliteKeyspace ks)
        {
            var delete = ks.Connection.Prepare($"DELETE FROM {SqliteSql.Quote(table.Name)} WHERE {SqliteSql.KeyCondition(table, keyPrefix.Count, 1)}");
            SqliteRows.BindKey(delete, 1, key, 0, keyPrefix.Count);
            delete.Run();
            return true;
        }

        return keyPrefix.Count >= table.PartitionKey.Count ? OnPartitionAsync(table.Keyspace, key, Delete, ct) : OnEveryShardAsync(table.Keyspace, Delete, ct);
    }

    public Task<long> SizeAsync(string keyspace, CancellationToken ct = default)
    {
        long size = 0;
        var shards = ShardsOnDisk(keyspace);
        for (var i = 0; i < shards; i++)
        {
            foreach (var file in new[] { PathOf(keyspace, i), PathOf(keyspace, i) + "-wal" })
            {
                if (File.Exists(file))
                {
                    size += new FileInfo(file).Length;
                }
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

            removed += (await OnEveryShardAsync(keyspace, ks =>
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
            }, ct)).Sum();
        }

        return removed;
    }

    public void Dispose()
    {
        foreach (var shard in _open.Values.SelectMany(shards => shards))
        {
            shard.Dispose();
        }

        _open.Clear();
    }
}
