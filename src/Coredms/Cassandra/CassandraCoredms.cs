using System.Globalization;
using Cql;
using Microsoft.Extensions.Options;

namespace Coredms.Cassandra;

/// <summary>
/// coredms on Apache Cassandra through the project's CQL client. A keyspace per tenant keyspace name, with the
/// configured replication; tables as the schema says (the partition key first, then the clustering columns);
/// upserts as prepared INSERTs with the retention as TTL, the batch's rows deduplicated by key (the later
/// wins), grouped by partition into unlogged batches sent concurrently, all with one client timestamp so that
/// a later upsert always wins over an earlier one (timestamps from the platform's clock, strictly increasing in
/// the process, so two writes in one millisecond do not tie); claims and conditional updates as lightweight
/// transactions (serial consistency), and so are whole-row writes to tables marked <see cref="TableSchema.Serial"/>;
/// selects paged with Cassandra's paging state (base64). TTL expiry is Cassandra's own, so the sweeper has nothing
/// to do.
/// </summary>
public sealed class CassandraCoredms : ICoredms, IAsyncDisposable, IDisposable
{
    private readonly CassandraOptions _options;
    private readonly DataClock _clock;
    private readonly Lazy<Task<CqlSession>> _session;
    private long _lastTimestamp;

    public CassandraCoredms(IOptions<CassandraOptions> options, DataClock clock)
    {
        _options = options.Value;
        _clock = clock;
        var consistency = Enum.Parse<Consistency>(_options.Consistency.Replace("_", "", StringComparison.Ordinal), ignoreCase: true);
        _session = new(() => CqlSession.ConnectAsync(new CqlSessionOptions
        {
            ContactPoints = _options.ContactPoints,
            ConnectionsPerNode = _options.ConnectionsPerNode,
            DiscoverNodes = _options.DiscoverNodes,
            Consistency = consistency,
            Connection = new CqlConnectionOptions { Username = _options.Username, Password = _options.Password },
        }));
    }

    public string Engine => "cassandra";

    private Task<CqlSession> SessionAsync() => _session.Value;

    /// <summary>Microseconds since the epoch, strictly increasing in this process (Cassandra's write timestamps).</summary>
    private long NextTimestamp()
    {
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        while (true)
        {
            var last = Interlocked.Read(ref _lastTimestamp);
            var next = Math.Max(now, last + 1);
            if (Interlocked.CompareExchange(ref _lastTimestamp, next, last) == last)
            {
                return next;
            }
        }
    }

    private static async Task<T> Translate<T>(string what, Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (CqlServerException e)
        {
            throw new CoredmsException($"Cassandra refused {what}: {e.Message}", e);
        }
        catch (Exception e) when (e is CqlProtocolException or CqlConnectionException or CqlTimeoutException)
        {
            throw new CoredmsException($"Cassandra did not complete {what}: {e.Message}", e);
        }
    }

    public Task EnsureKeyspaceAsync(string keyspace, CancellationToken ct = default)
    {
        if (!KeyspaceNames.IsValidIdentifier(keyspace))
        {
            throw new CoredmsException($"'{keyspace}' is not a valid keyspace name.");
        }

        return Translate("creating keyspace " + keyspace, async () => await (await SessionAsync()).QueryAsync(CassandraCql.CreateKeyspace(keyspace, _options), ct: ct));
    }

    public Task DropKeyspaceAsync(string keyspace, CancellationToken ct = default)
    {
        if (!KeyspaceNames.IsValidIdentifier(keyspace))
        {
            throw new CoredmsException($"'{keyspace}' is not a valid keyspace name.");
        }

        return Translate("dropping keyspace " + keyspace, async () => await (await SessionAsync()).QueryAsync($"DROP KEYSPACE IF EXISTS {keyspace}", ct: ct));
    }

    public Task DropTableAsync(string keyspace, string table, CancellationToken ct = default)
    {
        if (!KeyspaceNames.IsValidIdentifier(keyspace) || !KeyspaceNames.IsValidIdentifier(table))
        {
            throw new CoredmsException($"'{keyspace}.{table}' is not a valid table name.");
        }

        return Translate($"dropping table {keyspace}.{table}", async () => await (await SessionAsync()).QueryAsync($"DROP TABLE IF EXISTS {keyspace}.{table}", ct: ct));
    }

    public Task EnsureTableAsync(TableSchema table, CancellationToken ct = default) => Translate($"table {table.Keyspace}.{table.Name}", async () =>
    {
        var session = await SessionAsync();
        var existing = await session.ExecuteAsync(
            "SELECT column_name, kind, position, type FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?",
            [table.Keyspace, table.Name], idempotent: true, ct: ct);
        if (existing.Rows.Count == 0)
        {
            var keyspaces = await session.ExecuteAsync("SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?", [table.Keyspace], idempotent: true, ct: ct);
            if (keyspaces.Rows.Count == 0)
            {
                throw new CoredmsException($"Keyspace '{table.Keyspace}' does not exist.");
            }

            await session.QueryAsync(CassandraCql.CreateTable(table), ct: ct);
            return 0;
        }

        var columns = existing.Rows.ToDictionary(r => (string)r[0]!, r => (Kind: (string)r[1]!, Position: (int)r[2]!, Type: (string)r[3]!));
        string[] Key(string kind) => columns.Where(c => c.Value.Kind == kind).OrderBy(c => c.Value.Position).Select(c => c.Key).ToArray();
        var storedKey = Key("partition_key").Concat(Key("clustering")).ToArray();
        if (!storedKey.SequenceEqual(table.PrimaryKey) || !Key("partition_key").SequenceEqual(table.PartitionKey))
        {
            throw new CoredmsException($"Table {table.Keyspace}.{table.Name} exists with primary key ({string.Join(", ", storedKey)}); it cannot change to ({string.Join(", ", table.PrimaryKey)}).");
        }

        foreach (var column in table.Columns)
        {
            if (columns.TryGetValue(column.Name, out var stored))
            {
                if (!string.Equals(stored.Type.Replace(" ", "", StringComparison.Ordinal), CassandraCql.TypeOf(column.Type).Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal))
                {
                    throw new CoredmsException($"Column {table.Keyspace}.{table.Name}.{column.Name} is {stored.Type}; it cannot change to {CassandraCql.TypeOf(column.Type)}.");
                }
            }
            else
            {
                await session.QueryAsync(CassandraCql.AddColumn(table, column), ct: ct);
            }
        }

        return 0;
    });

    private static object?[] Values(RowBatch rows, int row) =>
        rows.Table.Columns.Select((c, i) => CassandraCql.ToCql(c.Type, rows.GetValue(row, i))).ToArray();

    private static int Ttl(TimeSpan? ttl) => ttl is { } t ? (int)Math.Clamp(Math.Ceiling(t.TotalSeconds), 1, 630_720_000) : 0;

    public Task UpsertAsync(RowBatch rows, TimeSpan? ttl, CancellationToken ct = default) => Translate($"writing {rows.Count} rows to {rows.Table.Keyspace}.{rows.Table.Name}", async () =>
    {
        if (rows.Count == 0)
        {
            return 0;
        }

        if (rows.Table.Serial)
        {
            for (var row = 0; row < rows.Count; row++)
            {
                await UpsertSeriallyAsync(rows, row, ttl, ct);
            }

            return 0;
        }

        var session = await SessionAsync();
        var table = rows.Table;
        var insert = CassandraCql.Insert(table);
        var seconds = Ttl(ttl);
        var timestamp = NextTimestamp();

        // The later row of a key wins: one statement per key, the last one.
        var latest = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var row = 0; row < rows.Count; row++)
        {
            latest[KeyOf(rows, row, table.PrimaryKeyIndexes)] = row;
        }

        var partitions = latest.Values.Order().GroupBy(row => KeyOf(rows, row, table.PartitionKey.Select(table.IndexOf).ToArray()));
        var batches = partitions.SelectMany(p => p.Chunk(Math.Max(1, _options.BatchRows)));
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.Concurrency), CancellationToken = ct }, async (batch, token) =>
            await session.ExecuteBatchAsync(batch.Select(row => (insert, (IReadOnlyList<object?>)[.. Values(rows, row), seconds])).ToList(), idempotent: true, timestamp, token));
        return 0;
    });

    /// <summary>
    /// One row by lightweight transactions only: inserted if absent, else updated if present (and inserted again if it
    /// was deleted between the two), so that it is ordered with the table's other conditional changes.
    /// </summary>
    private async Task UpsertSeriallyAsync(RowBatch rows, int row, TimeSpan? ttl, CancellationToken ct)
    {
        var table = rows.Table;
        var single = RowBatch.OfColumns(table, table.Columns.Select((c, i) => (c.Name, i)).ToDictionary(c => c.Name, c => rows.GetValue(row, c.i)));
        var key = table.PrimaryKeyIndexes.Select(i => single.GetValue(0, i)).ToList();
        var values = table.Columns.Where(c => !table.PrimaryKey.Contains(c.Name)).ToDictionary(c => c.Name, c => single.GetValue(0, table.IndexOf(c.Name)));
        while (!await InsertIfAbsentAsync(single, ttl, ct))
        {
            if (await UpdateIfAsync(table, key, values, new Dictionary<string, object?>(), ttl, ct))
            {
                return;
            }
        }
    }

    private static string KeyOf(RowBatch rows, int row, IReadOnlyList<int> columns) =>
        string.Join('\u0001', columns.Select(c => Convert.ToString(rows.GetValue(row, c), CultureInfo.InvariantCulture) ?? "\u0000"));

    public Task<bool> InsertIfAbsentAsync(RowBatch row, TimeSpan? ttl, CancellationToken ct = default) => Translate($"claiming a row of {row.Table.Name}", async () =>
    {
        var session = await SessionAsync();
        var result = await session.ExecuteAsync(CassandraCql.Insert(row.Table, ifNotExists: true), [.. Values(row, 0), Ttl(ttl)], idempotent: false, ct: ct);
        return result.Applied;
    });

    public Task<bool> UpdateIfAsync(TableSchema table, IReadOnlyList<object?> primaryKey, IReadOnlyDictionary<string, object?> changes,
        IReadOnlyDictionary<string, object?> expected, TimeSpan? ttl = null, CancellationToken ct = default) => Translate($"a conditional update of {table.Name}", async () =>
    {
        var session = await SessionAsync();
        var changed = changes.Keys.ToList();
        var conditions = expected.Keys.ToList();
        var set = RowBatch.OfColumns(table, changes);
        var condition = RowBatch.OfColumns(table, expected);
        object? Value(RowBatch row, string column) => CassandraCql.ToCql(table.Columns[table.IndexOf(column)].Type, row.GetValue(0, table.IndexOf(column)));
        var values = new object?[] { Ttl(ttl) }.Concat(changed.Select(c => Value(set, c)))
            .Concat(KeyValues(table, primaryKey))
            .Concat(conditions.Select(c => Value(condition, c)))
            .ToList();
        var result = await session.ExecuteAsync(CassandraCql.Update(table, changed, conditions), values, idempotent: false, ct: ct);
        return result.Applied;
    });

    /// <summary>Leading primary-key values a caller gave (ints for bigints and the like), as the CQL values of their columns.</summary>
    private static List<object?> KeyValues(TableSchema table, IReadOnlyList<object?> values)
    {
        var key = RowBatch.OfKey(table, values);
        return Enumerable.Range(0, values.Count).Select(i => CassandraCql.ToCql(table.Columns[table.PrimaryKeyIndexes[i]].Type, key.GetValue(0, table.PrimaryKeyIndexes[i]))).ToList();
    }

    public Task<RowPage> SelectAsync(TableSchema table, SelectQuery query, CancellationToken ct = default) => Translate($"reading {table.Name}", async () =>
    {
        byte[]? state = null;
        if (query.PagingState is { } text)
        {
            try
            {
                state = Convert.FromBase64String(text);
            }
            catch (FormatException e)
            {
                throw new PagingStateException(e);
            }
        }

        var session = await SessionAsync();
        var prefix = KeyValues(table, query.KeyPrefix);
        CqlResult result;
        try
        {
            result = await session.ExecuteAsync(CassandraCql.Select(table, prefix.Count), prefix, idempotent: true, pageSize: query.Limit, pagingState: state, ct: ct);
        }
        catch (CqlServerException e) when (state is not null && e.Code is CqlErrorCode.ProtocolError or CqlErrorCode.Invalid or CqlErrorCode.ServerError)
        {
            throw new PagingStateException(e);
        }

        var rows = result.Rows.Select(r => r.Select((v, i) => CassandraCql.FromCql(table.Columns[i].Type, v)).ToArray()).ToList();
        return new RowPage(rows, result.PagingState is { Length: > 0 } next ? Convert.ToBase64String(next) : null);
    });

    public Task<bool> DeleteIfAsync(TableSchema table, IReadOnlyList<object?> primaryKey, IReadOnlyDictionary<string, object?> expected,
        CancellationToken ct = default) => Translate($"a conditional delete from {table.Name}", async () =>
    {
        var session = await SessionAsync();
        var conditions = expected.Keys.ToList();
        var condition = RowBatch.OfColumns(table, expected);
        var values = KeyValues(table, primaryKey)
            .Concat(conditions.Select(c => CassandraCql.ToCql(table.Columns[table.IndexOf(c)].Type, condition.GetValue(0, table.IndexOf(c)))))
            .ToList();
        var result = await session.ExecuteAsync(CassandraCql.DeleteIf(table, conditions), values, idempotent: false, ct: ct);
        return result.Applied;
    });

    public Task DeleteAsync(TableSchema table, IReadOnlyList<object?> keyPrefix, CancellationToken ct = default) => Translate($"deleting from {table.Name}", async () =>
    {
        var session = await SessionAsync();
        var values = KeyValues(table, keyPrefix);
        await session.ExecuteAsync(values.Count == 0 ? CassandraCql.Truncate(table) : CassandraCql.Delete(table, values.Count), values, idempotent: true, ct: ct);
        return 0;
    });

    /// <summary>Cassandra's own estimate (system.size_estimates: mean partition size × partitions, refreshed every few minutes).</summary>
    public Task<long> SizeAsync(string keyspace, CancellationToken ct = default) => Translate("reading size estimates", async () =>
    {
        var session = await SessionAsync();
        var result = await session.ExecuteAsync("SELECT mean_partition_size, partitions_count FROM system.size_estimates WHERE keyspace_name = ?", [keyspace], idempotent: true, ct: ct);
        return result.Rows.Sum(r => (long)(r[0] ?? 0L) * (long)(r[1] ?? 0L));
    });

    public Task<long> SweepExpiredAsync(CancellationToken ct = default) => Task.FromResult(0L);

    public async ValueTask DisposeAsync()
    {
        if (_session.IsValueCreated && _session.Value.IsCompletedSuccessfully)
        {
            await _session.Value.Result.DisposeAsync();
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
