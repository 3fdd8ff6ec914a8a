using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using Cql;

namespace CqlStandIn;

/// <summary>What a statement answered.</summary>
public abstract record Outcome
{
    /// <summary>Warnings to send with the answer (the frame's warning flag).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public sealed record Void : Outcome;

    public sealed record Rows(IReadOnlyList<ColumnSpec> Columns, IReadOnlyList<byte[]?[]> Values, byte[]? PagingState) : Outcome;

    public sealed record SchemaChange(string Change, string Target, string Keyspace, string? Name) : Outcome;
}

/// <summary>A statement checked against the schema: its bind markers' columns, its result columns (SELECT only), the markers of the partition key.</summary>
public sealed record PreparedStatement(string Cql, Statement Statement, IReadOnlyList<ColumnSpec> Binds, IReadOnlyList<ColumnSpec>? ResultColumns,
    IReadOnlyList<ushort> PartitionKeyMarkers);

/// <summary>How a statement runs: bound values, paging, the client's timestamp, consistency, and the node that coordinates.</summary>
public sealed record Execution(IReadOnlyList<byte[]?> Values, Consistency Consistency, int? PageSize = null, byte[]? PagingState = null,
    Consistency? Serial = null, long? Timestamp = null, int Node = 0);

/// <summary>A node of the stand-in cluster as <c>system.local</c> and <c>system.peers</c> describe it.</summary>
public sealed record NodeInfo(IPAddress Address, string DataCenter, string Rack, Guid HostId);

/// <summary>
/// The data every node of the stand-in cluster sees (replication is instant; every consistency level is met):
/// keyspaces, tables, cells with write timestamps and TTLs, row, partition and prefix deletions, and the
/// rules Cassandra applies to the statements it accepts. Time for TTLs comes from the given clock; write
/// timestamps, like a node's, from the machine's.
/// </summary>
public sealed class ClusterData(TimeProvider clock, IReadOnlyList<NodeInfo> nodes)
{
    private const int BatchWarnBytes = 5 * 1024;
    private const int BatchFailBytes = 50 * 1024;
    private const int UnloggedPartitionsWarn = 10;
    private const int MaxTtl = 20 * 365 * 86_400;

    private readonly object _gate = new();
    private readonly Dictionary<string, KeyspaceDef> _keyspaces = new(StringComparer.Ordinal);
    private long _lastMicros;

    /// <summary>Every warning sent to a client.</summary>
    public ConcurrentQueue<string> Warnings { get; } = new();

    private static readonly DeclaredType Text = new(CqlType.Text, false);
    private static readonly DeclaredType IntType = new(CqlType.Int, false);
    private static readonly DeclaredType BigIntType = new(CqlType.BigInt, false);

    private static readonly Dictionary<(string, string), Func<TableDef>> SystemTables = new()
    {
        [("system_schema", "keyspaces")] = () => new TableDef("system_schema", "keyspaces",
            [("keyspace_name", Text), ("durable_writes", new(CqlType.Boolean, false)), ("replication", new(CqlType.MapOf(CqlType.Text, CqlType.Text), true))],
            ["keyspace_name"], []),
        [("system_schema", "columns")] = () => new TableDef("system_schema", "columns",
            [("keyspace_name", Text), ("table_name", Text), ("column_name", Text), ("clustering_order", Text), ("kind", Text), ("position", IntType), ("type", Text)],
            ["keyspace_name"], ["table_name", "column_name"]),
        [("system", "size_estimates")] = () => new TableDef("system", "size_estimates",
            [("keyspace_name", Text), ("table_name", Text), ("range_start", Text), ("range_end", Text), ("mean_partition_size", BigIntType), ("partitions_count", BigIntType)],
            ["keyspace_name"], ["table_name", "range_start", "range_end"]),
        [("system", "local")] = () => new TableDef("system", "local", NodeColumns("key", Text), ["key"], []),
        [("system", "peers")] = () => new TableDef("system", "peers", NodeColumns("peer", new(CqlType.Of(CqlTypeId.Inet), false)), ["peer"], []),
    };

    private static List<(string, DeclaredType)> NodeColumns(string key, DeclaredType keyType) =>
    [
        (key, keyType), ("data_center", Text), ("rack", Text), ("host_id", new(CqlType.Of(CqlTypeId.Uuid), false)),
        ("rpc_address", new(CqlType.Of(CqlTypeId.Inet), false)), ("release_version", Text), ("cluster_name", Text),
    ];

    /// <summary>
    /// How often the size estimates are recomputed, by the cluster's clock (Cassandra's size recorder runs every 5
    /// minutes by default): between two refreshes <c>system.size_estimates</c> shows the data as it was at the last one.
    /// </summary>
    public TimeSpan SizeEstimatesRefresh { get; set; } = TimeSpan.FromMinutes(5);

    private List<(string Keyspace, string Table, long Mean, long Partitions)> _sizes = [];
    private DateTimeOffset? _sizesAt;

    /// <summary>How far the nodes' clocks are from the machine's: it moves the timestamps of writes the client did not stamp (lightweight transactions among them).</summary>
    public TimeSpan ClockOffset { get; set; }

    /// <summary>Microseconds since the epoch, strictly increasing: the timestamp of a write the client did not stamp.</summary>
    private long NowMicros()
    {
        var now = (DateTimeOffset.UtcNow + ClockOffset).ToUnixTimeMilliseconds() * 1000;
        _lastMicros = Math.Max(now, _lastMicros + 1);
        return _lastMicros;
    }

    // ---------------------------------------------------------------- preparing

    /// <summary>Parses and checks a statement against the schema, as PREPARE (and QUERY) do.</summary>
    public PreparedStatement Prepare(string cql)
    {
        var (statement, markers) = StatementParser.Parse(cql);
        lock (_gate)
        {
            var binds = new ColumnSpec?[markers];
            IReadOnlyList<ColumnSpec>? result = null;
            List<ushort> pk = [];
            void Bind(Term? term, ColumnSpec spec)
            {
                if (term is Marker m)
                {
                    binds[m.Index] = spec;
                }
            }

            void BindKey(TableDef table, IEnumerable<(string Column, Term Value)> pairs)
            {
                var byColumn = pairs.ToDictionary(p => p.Column, p => p.Value);
                pk = table.PartitionKey.All(c => byColumn.GetValueOrDefault(c) is Marker)
                    ? table.PartitionKey.Select(c => (ushort)((Marker)byColumn[c]).Index).ToList()
                    : [];
            }

            switch (statement)
            {
                case Insert insert:
                {
                    var table = Table(insert.Keyspace, insert.Table);
                    Known(table, insert.Columns);
                    Distinct(insert.Columns);
                    RequireKey(table, insert.Columns, full: true);
                    var pairs = insert.Columns.Zip(insert.Values).ToList();
                    pairs.ForEach(p => Bind(p.Second, table.Spec(p.First)));
                    BindKey(table, pairs);
                    Bind(insert.Ttl, new ColumnSpec(table.Keyspace, table.Name, "[ttl]", CqlType.Int));
                    Bind(insert.Timestamp, new ColumnSpec(table.Keyspace, table.Name, "[timestamp]", CqlType.BigInt));
                    if (insert.IfNotExists && insert.Timestamp is not null)
                    {
                        throw NodeException.Invalid("Cannot provide custom timestamp for conditional updates");
                    }

                    break;
                }

                case Update update:
                {
                    var table = Table(update.Keyspace, update.Table);
                    Bind(update.Ttl, new ColumnSpec(table.Keyspace, table.Name, "[ttl]", CqlType.Int));
                    Bind(update.Timestamp, new ColumnSpec(table.Keyspace, table.Name, "[timestamp]", CqlType.BigInt));
                    Known(table, update.Set.Select(s => s.Column));
                    if (update.Set.FirstOrDefault(s => table.Columns[s.Column].IsKey) is { Column: { } key })
                    {
                        throw NodeException.Invalid($"PRIMARY KEY part {key} found in SET part");
                    }

                    update.Set.ToList().ForEach(s => Bind(s.Value, table.Spec(s.Column)));
                    Restrictions(table, update.Where, full: true);
                    update.Where.ToList().ForEach(w => Bind(w.Value, table.Spec(w.Column)));
                    BindKey(table, update.Where);
                    Known(table, update.Conditions.Select(c => c.Column));
                    if (update.Conditions.FirstOrDefault(c => table.Columns[c.Column].IsKey) is { Column: { } conditioned })
                    {
                        throw NodeException.Invalid($"PRIMARY KEY column '{conditioned}' cannot have IF conditions");
                    }

                    update.Conditions.ToList().ForEach(c => Bind(c.Value, table.Spec(c.Column)));
                    if ((update.IfExists || update.Conditions.Count > 0) && update.Timestamp is not null)
                    {
                        throw NodeException.Invalid("Cannot provide custom timestamp for conditional updates");
                    }

                    break;
                }

                case Delete delete:
                {
                    var table = Table(delete.Keyspace, delete.Table);
                    Bind(delete.Timestamp, new ColumnSpec(table.Keyspace, table.Name, "[timestamp]", CqlType.BigInt));
                    Restrictions(table, delete.Where, full: delete.IsConditional);
                    delete.Where.ToList().ForEach(w => Bind(w.Value, table.Spec(w.Column)));
                    BindKey(table, delete.Where);
                    var conditions = delete.Conditions ?? [];
                    Known(table, conditions.Select(c => c.Column));
                    conditions.ToList().ForEach(c => Bind(c.Value, table.Spec(c.Column)));
                    if (delete.IsConditional && delete.Timestamp is not null)
                    {
                        throw NodeException.Invalid("Cannot provide custom timestamp for conditional updates");
                    }

                    break;
                }

                case SelectFrom select:
                {
                    var table = SystemTables.TryGetValue((select.Keyspace ?? "", select.Table), out var system) ? system() : Table(select.Keyspace, select.Table);
                    if (select.Columns is { } named)
                    {
                        Known(table, named);
                    }

                    Restrictions(table, select.Where, full: false, select: true);
                    select.Where.ToList().ForEach(w => Bind(w.Value, table.Spec(w.Column)));
                    BindKey(table, select.Where);
                    Bind(select.Limit, new ColumnSpec(table.Keyspace, table.Name, "[limit]", CqlType.Int));
                    result = (select.Columns ?? table.StarOrder.Select(c => c.Name).ToList()).Select(table.Spec).ToList();
                    break;
                }

                default:
                    if (markers > 0)
                    {
                        throw NodeException.Syntax("Bind variables cannot be used in schema statements");
                    }

                    break;
            }

            return new PreparedStatement(cql, statement, binds.Select(b => b ?? throw NodeException.Invalid("A bind marker has no column")).ToList(), result, pk);
        }
    }

    private TableDef Table(string? keyspace, string table)
    {
        if (keyspace is null)
        {
            throw NodeException.Invalid("No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename");
        }

        if (!_keyspaces.TryGetValue(keyspace, out var ks))
        {
            throw NodeException.Invalid($"Keyspace '{keyspace}' does not exist");
        }

        return ks.Tables.TryGetValue(table, out var def) ? def : throw NodeException.Invalid($"table {table} does not exist");
    }

    private static void Known(TableDef table, IEnumerable<string> columns)
    {
        if (columns.FirstOrDefault(c => !table.Columns.ContainsKey(c)) is { } unknown)
        {
            throw NodeException.Invalid($"Undefined column name {unknown} in table {table.Keyspace}.{table.Name}");
        }
    }

    private static void Distinct(IEnumerable<string> columns)
    {
        if (columns.GroupBy(c => c).FirstOrDefault(g => g.Count() > 1) is { Key: { } twice })
        {
            throw NodeException.Invalid($"Multiple definitions found for column {twice}");
        }
    }

    private static void RequireKey(TableDef table, IReadOnlyCollection<string> given, bool full)
    {
        if (table.PartitionKey.Where(c => !given.Contains(c)).ToList() is { Count: > 0 } missing)
        {
            throw NodeException.Invalid("Some partition key parts are missing: " + string.Join(", ", missing));
        }

        if (full && table.Clustering.Where(c => !given.Contains(c)).ToList() is { Count: > 0 } clustering)
        {
            throw NodeException.Invalid("Some clustering keys are missing: " + string.Join(", ", clustering));
        }
    }

    /// <summary>
    /// WHERE clauses Cassandra runs without ALLOW FILTERING: equality on key columns only, the whole partition key
    /// (a SELECT may also have none), and clustering columns as a prefix; <paramref name="full"/> needs them all.
    /// </summary>
    private static void Restrictions(TableDef table, IReadOnlyList<(string Column, Term Value)> where, bool full, bool select = false)
    {
        var columns = where.Select(w => w.Column).ToList();
        Known(table, columns);
        Distinct(columns);
        if (columns.FirstOrDefault(c => !table.Columns[c].IsKey) is { } regular)
        {
            throw NodeException.Invalid(select
                ? "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING"
                : $"Non PRIMARY KEY columns found in where clause: {regular} ");
        }

        if (select && columns.Count == 0)
        {
            return;
        }

        RequireKey(table, columns, full);
        var clustering = table.Clustering.TakeWhile(columns.Contains).Count();
        if (table.Clustering.Skip(clustering).FirstOrDefault(columns.Contains) is { } gap)
        {
            throw NodeException.Invalid($"PRIMARY KEY column \"{gap}\" cannot be restricted as preceding column \"{table.Clustering[clustering]}\" is not restricted");
        }
    }

    // ---------------------------------------------------------------- running

    /// <summary>Runs a prepared (or just parsed) statement.</summary>
    public Outcome Execute(PreparedStatement prepared, Execution run)
    {
        lock (_gate)
        {
            var values = Bound(prepared, run.Values);
            return prepared.Statement switch
            {
                CreateKeyspace s => CreateKeyspace(s),
                DropKeyspace s => DropKeyspace(s),
                CreateTable s => CreateTable(s),
                AlterTableAdd s => AlterTable(s),
                Truncate s => TruncateTable(s),
                DropTable s => DropTable(s),
                Insert { IfNotExists: true } s => InsertIfNotExists(s, values, run),
                Update s when s.IfExists || s.Conditions.Count > 0 => UpdateIf(s, values, run),
                Delete { IsConditional: true } s => DeleteIf(s, values, run),
                SelectFrom s => Select(s, prepared.ResultColumns!, values, run),
                _ => Mutate([(prepared.Statement, values)], run.Timestamp ?? NowMicros(), run),
            };
        }
    }

    /// <summary>A BATCH of INSERT, UPDATE and DELETE statements, applied at once with one timestamp.</summary>
    public Outcome Batch(IReadOnlyList<(PreparedStatement Statement, IReadOnlyList<byte[]?> Values)> statements, BatchType type, Execution run)
    {
        foreach (var (statement, _) in statements)
        {
            if (statement.Statement is not (Insert or Update or Delete))
            {
                throw NodeException.Invalid("Invalid statement in batch: only UPDATE, INSERT and DELETE statements are allowed.");
            }

            if (statement.Statement is Insert { IfNotExists: true } or Update { IfExists: true } or Update { Conditions.Count: > 0 } or Delete { IsConditional: true })
            {
                throw NodeException.Invalid("The stand-in does not run conditional batches");
            }
        }

        if (type == BatchType.Counter)
        {
            throw NodeException.Invalid("Cannot include non-counter statement in a counter batch");
        }

        lock (_gate)
        {
            var bound = statements.Select(s => (s.Statement.Statement, Bound(s.Statement, s.Values))).ToList();
            return Mutate(bound, run.Timestamp ?? NowMicros(), run, type);
        }
    }

    private static Dictionary<int, byte[]?> Bound(PreparedStatement prepared, IReadOnlyList<byte[]?> values)
    {
        if (values.Count != prepared.Binds.Count)
        {
            throw NodeException.Invalid($"There were {prepared.Binds.Count} markers(?) in CQL but {values.Count} bound variables");
        }

        var bound = new Dictionary<int, byte[]?>();
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] is { } bytes)
            {
                try
                {
                    CqlCodec.Decode(prepared.Binds[i].Type, bytes);
                }
                catch (Exception e) when (e is CqlProtocolException or ArgumentException)
                {
                    throw NodeException.Invalid($"Invalid value for {prepared.Binds[i].Name} of type {prepared.Binds[i].Type}: {e.Message}");
                }
            }

            bound[i] = values[i];
        }

        return bound;
    }

    /// <summary>A term's value: the bound bytes (a literal may only be null).</summary>
    private static byte[]? Value(Term term, Dictionary<int, byte[]?> values, string column)
    {
        if (term is Marker m)
        {
            return values[m.Index];
        }

        return ((Literal)term).Value is null ? null
            : throw NodeException.Invalid($"The stand-in takes values for {column} as bind markers (or null), not literals");
    }

    private static byte[] KeyPart(TableDef table, string column, Term term, Dictionary<int, byte[]?> values) =>
        Value(term, values, column) ?? throw NodeException.Invalid($"Invalid null value in condition for column {column}");

    private static (byte[][] Partition, byte[][] Clustering) Key(TableDef table, IEnumerable<(string Column, Term Value)> pairs, Dictionary<int, byte[]?> values)
    {
        var given = pairs.ToDictionary(p => p.Column, p => p.Value);
        return (table.PartitionKey.Select(c => KeyPart(table, c, given[c], values)).ToArray(),
            table.Clustering.TakeWhile(given.ContainsKey).Select(c => KeyPart(table, c, given[c], values)).ToArray());
    }

    private DateTimeOffset? Expiry(Term? ttl, Dictionary<int, byte[]?> values)
    {
        if (ttl is null)
        {
            return null;
        }

        var seconds = Value(ttl, values, "[ttl]") is { } bytes
            ? (int)CqlCodec.Decode(CqlType.Int, bytes)
            : throw NodeException.Invalid("Invalid null value of TTL");
        if (seconds < 0)
        {
            throw NodeException.Invalid("A TTL must be greater or equal to 0, but was " + seconds);
        }

        if (seconds > MaxTtl)
        {
            throw NodeException.Invalid($"ttl is too large. requested ({seconds}) maximum ({MaxTtl})");
        }

        return seconds == 0 ? null : clock.GetUtcNow().AddSeconds(seconds);
    }

    private static void Write(Row row, string column, Cell cell)
    {
        if (!row.Cells.TryGetValue(column, out var old) || cell.Beats(old))
        {
            row.Cells[column] = cell;
        }
    }

    private static byte[]? Stored(ColumnDef column, byte[]? value) =>
        value is null ? null
        : Types.IsCollection(column.Type.Type) && !column.Type.Frozen && value.AsSpan().SequenceEqual(new byte[4]) ? null
        : Types.Normalize(column.Type.Type, value);

    private Outcome.Void Mutate(List<(Statement Statement, Dictionary<int, byte[]?> Values)> statements, long timestamp, Execution run,
        BatchType type = BatchType.Logged)
    {
        if (run.Consistency is Consistency.Serial or Consistency.LocalSerial)
        {
            throw NodeException.Invalid("You must use conditional updates for serializable writes");
        }

        var warnings = new List<string>();
        if (statements.Count > 1)
        {
            var partitions = statements.Select(s => Target(s.Statement, s.Values)).Distinct().Count();
            var size = statements.Sum(s => s.Values.Values.Sum(v => v?.Length ?? 0));
            var tables = string.Join(", ", statements.Select(s => Names(s.Statement)).Distinct());
            if (partitions > 1 && size > BatchFailBytes)
            {
                throw NodeException.Invalid($"Batch too large: {size} bytes for [{tables}], over the fail threshold of {BatchFailBytes}");
            }

            if (partitions > 1 && size > BatchWarnBytes)
            {
                warnings.Add($"Batch for [{tables}] is of size {size}, exceeding specified threshold of {BatchWarnBytes} by {size - BatchWarnBytes}.");
            }

            if (type == BatchType.Unlogged && partitions > UnloggedPartitionsWarn)
            {
                warnings.Add($"Unlogged batch covering {partitions} partitions detected against table [{tables}]. You should use a logged batch for atomicity, or asynchronous writes for performance.");
            }
        }

        foreach (var (statement, values) in statements)
        {
            switch (statement)
            {
                case Insert insert:
                    WriteInsert(insert, values, timestamp);
                    break;
                case Update update:
                    Apply(Table(update.Keyspace, update.Table), update.Where, update.Set, values, Stamp(update.Timestamp, values, timestamp), Expiry(update.Ttl, values), marker: false);
                    break;
                case Delete delete:
                    Remove(delete, values, Stamp(delete.Timestamp, values, timestamp));
                    break;
            }
        }

        warnings.ForEach(Warnings.Enqueue);
        return new Outcome.Void { Warnings = warnings };
    }

    /// <summary>The statement's own USING TIMESTAMP, else the one the request or the node gave.</summary>
    private static long Stamp(Term? given, Dictionary<int, byte[]?> values, long otherwise) =>
        given is null ? otherwise
        : Value(given, values, "[timestamp]") is { } bytes ? (long)CqlCodec.Decode(CqlType.BigInt, bytes)
        : throw NodeException.Invalid("Invalid null value of timestamp");

    private static string Names(Statement statement) => statement switch
    {
        Insert s => $"{s.Keyspace}.{s.Table}",
        Update s => $"{s.Keyspace}.{s.Table}",
        Delete s => $"{s.Keyspace}.{s.Table}",
        _ => "",
    };

    private string Target(Statement statement, Dictionary<int, byte[]?> values)
    {
        var (table, pairs) = statement switch
        {
            Insert s => (Table(s.Keyspace, s.Table), s.Columns.Zip(s.Values, (c, v) => (c, v))),
            Update s => (Table(s.Keyspace, s.Table), s.Where),
            Delete s => (Table(s.Keyspace, s.Table), s.Where),
            _ => throw new InvalidOperationException(),
        };
        return Names(statement) + "/" + Convert.ToHexString(Types.RoutingKey(Key(table, pairs, values).Partition));
    }

    private void WriteInsert(Insert insert, Dictionary<int, byte[]?> values, long timestamp)
    {
        var table = Table(insert.Keyspace, insert.Table);
        timestamp = Stamp(insert.Timestamp, values, timestamp);
        var pairs = insert.Columns.Zip(insert.Values, (c, v) => (c, v)).ToList();
        Apply(table, pairs.Where(p => table.Columns[p.c].IsKey), pairs.Where(p => !table.Columns[p.c].IsKey), values, timestamp, Expiry(insert.Ttl, values), marker: true);
    }

    private static void Apply(TableDef table, IEnumerable<(string Column, Term Value)> key, IEnumerable<(string Column, Term Value)> set,
        Dictionary<int, byte[]?> values, long timestamp, DateTimeOffset? expires, bool marker)
    {
        var (partitionKey, clustering) = Key(table, key, values);
        var partition = table.PartitionFor(partitionKey, create: true);
        if (!partition.Rows.TryGetValue(clustering, out var row))
        {
            row = new Row();
            partition.Rows[clustering] = row;
        }

        if (timestamp <= partition.Shadow(clustering, row))
        {
            return;
        }

        if (marker && (row.Marker is null || new Cell([], timestamp, expires).Beats(row.Marker)))
        {
            row.Marker = new Cell([], timestamp, expires);
        }

        foreach (var (column, term) in set)
        {
            var value = Stored(table.Columns[column], Value(term, values, column));
            Write(row, column, new Cell(value, timestamp, value is null ? null : expires));
        }
    }

    private void Remove(Delete delete, Dictionary<int, byte[]?> values, long timestamp)
    {
        var table = Table(delete.Keyspace, delete.Table);
        var (partitionKey, clustering) = Key(table, delete.Where, values);
        var partition = table.PartitionFor(partitionKey, create: true);
        if (clustering.Length == 0)
        {
            partition.DeletedAt = Math.Max(partition.DeletedAt, timestamp);
        }
        else if (clustering.Length == table.Clustering.Count)
        {
            if (!partition.Rows.TryGetValue(clustering, out var row))
            {
                row = new Row();
                partition.Rows[clustering] = row;
            }

            row.DeletedAt = Math.Max(row.DeletedAt, timestamp);
        }
        else
        {
            partition.RangeDeletions.Add((clustering, timestamp));
        }
    }

    /// <summary>A row's live values by column (key columns included), or null when nothing of it is live.</summary>
    private Dictionary<string, byte[]>? Live(TableDef table, Partition partition, byte[][] clustering, Row row)
    {
        var now = clock.GetUtcNow();
        var shadow = partition.Shadow(clustering, row);
        var cells = row.Cells.Where(c => c.Value.IsLive(shadow, now)).ToDictionary(c => c.Key, c => c.Value.Value!);
        if (cells.Count == 0 && row.Marker?.IsLive(shadow, now) != true)
        {
            return null;
        }

        for (var i = 0; i < table.PartitionKey.Count; i++)
        {
            cells[table.PartitionKey[i]] = partition.Key[i];
        }

        for (var i = 0; i < table.Clustering.Count; i++)
        {
            cells[table.Clustering[i]] = clustering[i];
        }

        return cells;
    }

    private Dictionary<string, byte[]>? Current(TableDef table, IEnumerable<(string Column, Term Value)> key, Dictionary<int, byte[]?> values)
    {
        var (partitionKey, clustering) = Key(table, key, values);
        var partition = table.PartitionFor(partitionKey, create: false);
        return partition is not null && partition.Rows.TryGetValue(clustering, out var row) ? Live(table, partition, clustering, row) : null;
    }

    private static void RequireSerial(Execution run)
    {
        if (run.Serial is { } serial && serial is not (Consistency.Serial or Consistency.LocalSerial))
        {
            throw NodeException.Invalid($"Invalid serial consistency level {serial}: it must be SERIAL or LOCAL_SERIAL");
        }
    }

    private static Outcome.Rows Applied(TableDef table, bool applied, Dictionary<string, byte[]>? current, IEnumerable<string> columns)
    {
        var specs = new List<ColumnSpec> { new(table.Keyspace, table.Name, "[applied]", CqlType.Boolean) };
        var row = new List<byte[]?> { new[] { (byte)(applied ? 1 : 0) } };
        if (!applied && current is not null)
        {
            foreach (var column in columns)
            {
                specs.Add(table.Spec(column));
                row.Add(current.GetValueOrDefault(column));
            }
        }

        return new Outcome.Rows(specs, [row.ToArray()], null);
    }

    private Outcome.Rows InsertIfNotExists(Insert insert, Dictionary<int, byte[]?> values, Execution run)
    {
        RequireSerial(run);
        var table = Table(insert.Keyspace, insert.Table);
        var pairs = insert.Columns.Zip(insert.Values, (c, v) => (c, v)).ToList();
        var current = Current(table, pairs.Where(p => table.Columns[p.c].IsKey), values);
        if (current is not null)
        {
            return Applied(table, false, current, table.StarOrder.Select(c => c.Name));
        }

        WriteInsert(insert, values, NowMicros());
        return Applied(table, true, null, []);
    }

    private Outcome.Rows UpdateIf(Update update, Dictionary<int, byte[]?> values, Execution run)
    {
        RequireSerial(run);
        var table = Table(update.Keyspace, update.Table);
        var current = Current(table, update.Where, values);
        var applies = update.IfExists
            ? current is not null
            : update.Conditions.All(c =>
            {
                var expected = Stored(table.Columns[c.Column], Value(c.Value, values, c.Column));
                var actual = current?.GetValueOrDefault(c.Column);
                return expected is null ? actual is null : actual is not null && Types.Compare(table.Columns[c.Column].Type.Type, expected, actual) == 0;
            });
        if (applies)
        {
            Apply(table, update.Where, update.Set, values, NowMicros(), Expiry(update.Ttl, values), marker: false);
        }

        return Applied(table, applies, current, update.Conditions.Select(c => c.Column));
    }

    private Outcome.Rows DeleteIf(Delete delete, Dictionary<int, byte[]?> values, Execution run)
    {
        RequireSerial(run);
        var table = Table(delete.Keyspace, delete.Table);
        var current = Current(table, delete.Where, values);
        var conditions = delete.Conditions ?? [];
        var applies = current is not null && conditions.All(c =>
        {
            var expected = Stored(table.Columns[c.Column], Value(c.Value, values, c.Column));
            var actual = current.GetValueOrDefault(c.Column);
            return expected is null ? actual is null : actual is not null && Types.Compare(table.Columns[c.Column].Type.Type, expected, actual) == 0;
        });
        if (applies)
        {
            Remove(delete, values, NowMicros());
        }

        return Applied(table, applies, current, conditions.Select(c => c.Column));
    }

    private Outcome.Rows Select(SelectFrom select, IReadOnlyList<ColumnSpec> columns, Dictionary<int, byte[]?> values, Execution run)
    {
        var table = SystemTables.TryGetValue((select.Keyspace ?? "", select.Table), out var system) ? Fill(system(), run.Node) : Table(select.Keyspace, select.Table);
        var (partitionKey, prefix) = select.Where.Count == 0 ? (null, Array.Empty<byte[]>()) : Key(table, select.Where, values);
        var limit = select.Limit is { } l && Value(l, values, "[limit]") is { } bytes ? (int)CqlCodec.Decode(CqlType.Int, bytes) : int.MaxValue;
        var page = run.PageSize is > 0 and var size ? Math.Min(size, limit) : limit;
        var (afterPartition, afterRow) = run.PagingState is { } state ? ReadPagingState(state) : (null, null);

        IEnumerable<KeyValuePair<byte[], Partition>> partitions = partitionKey is null
            ? table.Partitions
            : table.Partitions.TryGetValue(Types.RoutingKey(partitionKey), out var one) ? [new(Types.RoutingKey(partitionKey), one)] : [];
        var rows = new List<byte[]?[]>();
        byte[]? next = null;
        foreach (var (routing, partition) in partitions)
        {
            if (afterPartition is not null && table.Partitions.Comparer.Compare(routing, afterPartition) < 0)
            {
                continue;
            }

            foreach (var (clustering, row) in partition.Rows)
            {
                if (afterPartition is not null && routing.AsSpan().SequenceEqual(afterPartition) && afterRow is not null
                    && partition.Rows.Comparer.Compare(clustering, afterRow) <= 0)
                {
                    continue;
                }

                if (!prefix.Select((v, i) => Types.Compare(table.ClusteringTypes[i], v, clustering[i]) == 0).All(x => x)
                    || Live(table, partition, clustering, row) is not { } live)
                {
                    continue;
                }

                rows.Add(columns.Select(c => live.GetValueOrDefault(c.Name)).ToArray());
                if (rows.Count == page && page < limit)
                {
                    next = PagingState(routing, clustering);
                    break;
                }
            }

            if (next is not null || rows.Count >= limit)
            {
                break;
            }
        }

        return new Outcome.Rows(columns, rows, next);
    }

    private static byte[] PagingState(byte[] partition, byte[][] clustering)
    {
        var w = new ProtocolWriter();
        w.Raw("SI"u8);
        w.Bytes(partition);
        w.Short((ushort)clustering.Length);
        foreach (var part in clustering)
        {
            w.Bytes(part);
        }

        return w.ToArray();
    }

    private static (byte[] Partition, byte[][] Clustering) ReadPagingState(byte[] state)
    {
        try
        {
            var r = new ProtocolReader(state);
            if (r.Byte() != 'S' || r.Byte() != 'I')
            {
                throw new CqlProtocolException("not a paging state");
            }

            var partition = r.Bytes()!;
            var clustering = new byte[r.Short()][];
            for (var i = 0; i < clustering.Length; i++)
            {
                clustering[i] = r.Bytes()!;
            }

            return r.Remaining == 0 ? (partition, clustering) : throw new CqlProtocolException("trailing bytes");
        }
        catch (Exception e) when (e is CqlProtocolException or NullReferenceException)
        {
            throw new NodeException(CqlErrorCode.ProtocolError, "Invalid value for the paging state");
        }
    }

    // ---------------------------------------------------------------- schema

    private Outcome CreateKeyspace(CreateKeyspace s)
    {
        if (_keyspaces.ContainsKey(s.Name) || s.Name is "system" or "system_schema")
        {
            return s.IfNotExists ? new Outcome.Void() : throw new NodeException(CqlErrorCode.AlreadyExists, $"Cannot add existing keyspace \"{s.Name}\"")
            {
                Details = w => { w.String(s.Name); w.String(""); },
            };
        }

        var strategy = s.Replication.GetValueOrDefault("class");
        var valid = strategy switch
        {
            "SimpleStrategy" => s.Replication.Count == 2 && int.TryParse(s.Replication.GetValueOrDefault("replication_factor"), out var rf) && rf > 0,
            "NetworkTopologyStrategy" => s.Replication.Count > 1 && s.Replication.Where(p => p.Key != "class").All(p => int.TryParse(p.Value, out var n) && n >= 0),
            _ => false,
        };
        if (!valid)
        {
            throw new NodeException(CqlErrorCode.ConfigError, "Invalid replication for keyspace " + s.Name + ": " + string.Join(", ", s.Replication.Select(p => $"{p.Key}={p.Value}")));
        }

        _keyspaces[s.Name] = new KeyspaceDef(s.Name, s.Replication);
        return new Outcome.SchemaChange("CREATED", "KEYSPACE", s.Name, null);
    }

    private Outcome DropKeyspace(DropKeyspace s)
    {
        if (!_keyspaces.Remove(s.Name))
        {
            return s.IfExists ? new Outcome.Void() : throw new NodeException(CqlErrorCode.ConfigError, $"Cannot drop non existing keyspace '{s.Name}'.");
        }

        return new Outcome.SchemaChange("DROPPED", "KEYSPACE", s.Name, null);
    }

    private Outcome CreateTable(CreateTable s)
    {
        var keyspace = s.Keyspace is { } k && _keyspaces.TryGetValue(k, out var ks) ? ks
            : throw NodeException.Invalid($"Keyspace '{s.Keyspace}' does not exist");
        if (keyspace.Tables.ContainsKey(s.Name))
        {
            return s.IfNotExists ? new Outcome.Void() : throw new NodeException(CqlErrorCode.AlreadyExists, $"Cannot add already existing table \"{s.Name}\" to keyspace \"{keyspace.Name}\"")
            {
                Details = w => { w.String(keyspace.Name); w.String(s.Name); },
            };
        }

        Distinct(s.Columns.Select(c => c.Name));
        var declared = s.Columns.ToDictionary(c => c.Name, c => c.Type);
        foreach (var key in s.PartitionKey.Concat(s.Clustering))
        {
            if (!declared.TryGetValue(key, out var type))
            {
                throw NodeException.Invalid($"Unknown definition {key} referenced in PRIMARY KEY");
            }

            if (Types.IsCollection(type.Type) && !type.Frozen)
            {
                throw NodeException.Invalid($"Invalid non-frozen collection type for PRIMARY KEY component {key}");
            }
        }

        keyspace.Tables[s.Name] = new TableDef(keyspace.Name, s.Name, s.Columns, s.PartitionKey, s.Clustering);
        return new Outcome.SchemaChange("CREATED", "TABLE", keyspace.Name, s.Name);
    }

    private Outcome.SchemaChange AlterTable(AlterTableAdd s)
    {
        var table = Table(s.Keyspace, s.Table);
        if (table.Columns.ContainsKey(s.Column))
        {
            throw NodeException.Invalid($"Column with name '{s.Column}' already exists");
        }

        table.Add(new ColumnDef(s.Column, s.Type, "regular", -1));
        return new Outcome.SchemaChange("UPDATED", "TABLE", table.Keyspace, table.Name);
    }

    private Outcome DropTable(DropTable s)
    {
        var keyspace = s.Keyspace is { } k && _keyspaces.TryGetValue(k, out var ks) ? ks
            : throw NodeException.Invalid($"Keyspace '{s.Keyspace}' does not exist");
        if (!keyspace.Tables.Remove(s.Table))
        {
            return s.IfExists ? new Outcome.Void() : throw NodeException.Invalid($"Table '{keyspace.Name}.{s.Table}' doesn't exist");
        }

        return new Outcome.SchemaChange("DROPPED", "TABLE", keyspace.Name, s.Table);
    }

    /// <summary>TRUNCATE: every row of the table gone at once, whatever the timestamps of its writes.</summary>
    private Outcome.Void TruncateTable(Truncate s)
    {
        Table(s.Keyspace, s.Table).Partitions.Clear();
        return new Outcome.Void();
    }

    /// <summary>A system table's rows, made from the schema, the data and the nodes when it is read (size estimates as of their last refresh).</summary>
    private TableDef Fill(TableDef table, int node)
    {
        static byte[] T(string text) => Encoding.UTF8.GetBytes(text);
        void Add(params byte[]?[] values)
        {
            var row = new Row { Marker = new Cell([], 0, null) };
            var columns = table.Ordered;
            for (var i = 0; i < values.Length; i++)
            {
                if (!columns[i].IsKey && values[i] is { } v)
                {
                    row.Cells[columns[i].Name] = new Cell(v, 0, null);
                }
            }

            var partition = table.PartitionFor(table.PartitionKey.Select(c => values[columns.FindIndex(x => x.Name == c)]!).ToArray(), create: true);
            partition.Rows[table.Clustering.Select(c => values[columns.FindIndex(x => x.Name == c)]!).ToArray()] = row;
        }

        void Node(NodeInfo info, byte[] key) => Add(key, T(info.DataCenter), T(info.Rack), CqlCodec.Encode(CqlType.Of(CqlTypeId.Uuid), info.HostId),
            info.Address.GetAddressBytes(), T("4.1.0-stand-in"), T("mysimbdp stand-in"));

        switch ((table.Keyspace, table.Name))
        {
            case ("system_schema", "keyspaces"):
                foreach (var ks in _keyspaces.Values)
                {
                    Add(T(ks.Name), [1], CqlCodec.Encode(CqlType.MapOf(CqlType.Text, CqlType.Text), ks.Replication.ToDictionary(p => (object)p.Key, p => (object?)p.Value)));
                }

                break;
            case ("system_schema", "columns"):
                foreach (var t in _keyspaces.Values.SelectMany(ks => ks.Tables.Values))
                {
                    foreach (var c in t.Ordered)
                    {
                        Add(T(t.Keyspace), T(t.Name), T(c.Name), T(c.Kind == "clustering" ? "asc" : "none"), T(c.Kind),
                            CqlCodec.Encode(CqlType.Int, c.IsKey ? c.Position : -1), T(c.TypeText));
                    }
                }

                break;
            case ("system", "size_estimates"):
                var now = clock.GetUtcNow();
                if (_sizesAt is not { } at || now - at >= SizeEstimatesRefresh)
                {
                    _sizesAt = now;
                    _sizes = [];
                    foreach (var t in _keyspaces.Values.SelectMany(ks => ks.Tables.Values))
                    {
                        var sizes = t.Partitions.Values.Select(p => p.Rows.Sum(r => Live(t, p, r.Key, r.Value)?.Values.Sum(v => (long)v.Length) ?? 0)).Where(s => s > 0).ToList();
                        _sizes.Add((t.Keyspace, t.Name, sizes.Count == 0 ? 0 : sizes.Sum() / sizes.Count, sizes.Count));
                    }
                }

                foreach (var (keyspace, name, mean, partitions) in _sizes.Where(s => _keyspaces.ContainsKey(s.Keyspace)))
                {
                    Add(T(keyspace), T(name), T(long.MinValue.ToString(CultureInfo.InvariantCulture)), T(long.MaxValue.ToString(CultureInfo.InvariantCulture)),
                        CqlCodec.Encode(CqlType.BigInt, mean), CqlCodec.Encode(CqlType.BigInt, partitions));
                }

                break;
            case ("system", "local"):
                Node(nodes[node], T("local"));
                break;
            case ("system", "peers"):
                foreach (var peer in nodes.Where((_, i) => i != node))
                {
                    Node(peer, peer.Address.GetAddressBytes());
                }

                break;
        }

        return table;
    }
}
