using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Catalog.Datasets;
using DuckDB.NET.Data;
using Ingestion.Lake;
using Platform.Api.Problems;

namespace Platform.Api.Lake;

/// <summary>A query over a dataset's lake: one SELECT, the dataset named as a table; at most <paramref name="Limit"/> rows come back (1,000 by default).</summary>
public sealed record LakeQueryRequest(string? Sql, int? Limit);

public sealed record LakeQueryColumn(string Name, string Type);

public sealed record LakeQueryResult(IReadOnlyList<LakeQueryColumn> Columns, IReadOnlyList<object?[]> Rows, int RowCount, bool Truncated, long ElapsedMs);

/// <summary>
/// Runs a tenant's read-only SQL over its own lake files with the embedded DuckDB. What is run is checked before it
/// runs, from DuckDB's own parse: one SELECT whose tables are the dataset (and its own CTEs), with no table function
/// (read_csv, read_text, glob...), so nothing else is read. It then runs sandboxed: DuckDB may touch only the
/// dataset's lake folder, installs and loads no extension, its settings are locked, with one thread, a memory cap
/// and a time limit. At most <see cref="LakeOptions.QueriesInParallel"/> queries run at once, and
/// <see cref="LakeOptions.QueriesPerTenant"/> of one tenant, so that what queries may take (a thread and the memory cap
/// each) is bounded however many a tenant sends.
/// </summary>
public sealed class LakeQuery(ILakeStore store, Microsoft.Extensions.Options.IOptions<LakeOptions> options)
{
    public const int MaxRows = 10_000;
    public const int MaxSqlLength = 20_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _running = new(StringComparer.Ordinal);
    private int _total;

    /// <summary>A query's turn (disposing it ends the turn); null, with the limit that refused it, when the tenant or the process runs all it may.</summary>
    public (IDisposable? Turn, string? Limit, int Allowed) TryEnter(string tenant)
    {
        lock (_lock)
        {
            var mine = _running.GetValueOrDefault(tenant);
            if (mine >= options.Value.QueriesPerTenant)
            {
                return (null, "queries_per_tenant", options.Value.QueriesPerTenant);
            }

            if (_total >= options.Value.QueriesInParallel)
            {
                return (null, "queries_in_parallel", options.Value.QueriesInParallel);
            }

            _running[tenant] = mine + 1;
            _total++;
            return (new Turn(this, tenant), null, 0);
        }
    }

    private void Leave(string tenant)
    {
        lock (_lock)
        {
            _total--;
            if (--_running[tenant] == 0)
            {
                _running.Remove(tenant);
            }
        }
    }

    private sealed class Turn(LakeQuery query, string tenant) : IDisposable
    {
        private int _left;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0)
            {
                query.Leave(tenant);
            }
        }
    }

    public async Task<(LakeQueryResult? Result, FieldError? Problem, bool Empty)> RunAsync(Dataset dataset, LakeQueryRequest request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Sql))
        {
            return (null, new FieldError("sql", "required", $"is required: one SELECT over the dataset, such as SELECT count(*) FROM \"{dataset.Name}\""), false);
        }

        if (request.Sql.Length > MaxSqlLength)
        {
            return (null, new FieldError("sql", "range", $"is {request.Sql.Length:N0} characters, over the {MaxSqlLength:N0} a query may have"), false);
        }

        if (request.Limit is < 1 or > MaxRows)
        {
            return (null, new FieldError("limit", "range", $"{request.Limit} is not from 1 to {MaxRows:N0}"), false);
        }

        if (Check(dataset.Name, request.Sql) is { } refused)
        {
            return (null, refused, false);
        }

        using var files = await store.LocalAsync(LakeKeys.Prefix(dataset.Tenant, dataset.Name), ct);
        if (!Directory.Exists(files.Folder) || !Directory.EnumerateFiles(files.Folder, "*.parquet", SearchOption.AllDirectories).Any())
        {
            return (null, null, true);
        }

        return await Task.Run(() => Execute(dataset.Name, files.Folder, request.Sql, request.Limit ?? 1000, TimeSpan.FromSeconds(options.Value.QuerySeconds), ct), ct);
    }

    /// <summary>Refuses what is not one SELECT over the dataset, from DuckDB's own parse of the text.</summary>
    private static FieldError? Check(string dataset, string sql)
    {
        using var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT json_serialize_sql($1::VARCHAR)";
        command.Parameters.Add(new DuckDBParameter(sql));
        using var parsed = JsonDocument.Parse((string)command.ExecuteScalar()!);
        var root = parsed.RootElement;
        if (root.GetProperty("error").GetBoolean())
        {
            var message = root.TryGetProperty("error_message", out var m) ? m.GetString() : "it cannot be parsed";
            return new FieldError("sql", "select", message == "Only SELECT statements can be serialized to json!"
                ? "only a SELECT may run over the lake (no COPY, ATTACH, INSTALL, SET, CREATE, INSERT...)" : $"it cannot be parsed: {message}");
        }

        var statements = root.GetProperty("statements");
        if (statements.GetArrayLength() != 1)
        {
            return new FieldError("sql", "single_statement", $"holds {statements.GetArrayLength()} statements; one SELECT may run at a time");
        }

        var ctes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        Collect(statements[0], ctes);
        return Reads(statements[0], dataset, ctes);
    }

    private static void Collect(JsonElement node, HashSet<string> ctes)
    {
        if (node.ValueKind == JsonValueKind.Object)
        {
            if (node.TryGetProperty("cte_map", out var map) && map.TryGetProperty("map", out var list))
            {
                foreach (var cte in list.EnumerateArray())
                {
                    ctes.Add(cte.GetProperty("key").GetString()!);
                }
            }

            foreach (var property in node.EnumerateObject())
            {
                Collect(property.Value, ctes);
            }
        }
        else if (node.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in node.EnumerateArray())
            {
                Collect(item, ctes);
            }
        }
    }

    /// <summary>The first table reference that is not the dataset or one of the query's CTEs, or a table function: refused.</summary>
    private static FieldError? Reads(JsonElement node, string dataset, HashSet<string> ctes)
    {
        if (node.ValueKind == JsonValueKind.Object)
        {
            var type = node.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (type == "TABLE_FUNCTION")
            {
                return new FieldError("sql", "dataset_only", $"reads with a table function; a lake query reads the dataset \"{dataset}\" only (no read_csv, read_parquet, read_text, glob...)");
            }

            if (type == "BASE_TABLE")
            {
                var name = node.GetProperty("table_name").GetString()!;
                var qualified = node.GetProperty("schema_name").GetString() is { Length: > 0 } || node.GetProperty("catalog_name").GetString() is { Length: > 0 };
                if (qualified || !(name == dataset || ctes.Contains(name)))
                {
                    return new FieldError("sql", "dataset_only", $"reads table '{name}'; a lake query reads the dataset \"{dataset}\" (and its own WITH queries) only");
                }
            }

            foreach (var property in node.EnumerateObject())
            {
                if (Reads(property.Value, dataset, ctes) is { } refused)
                {
                    return refused;
                }
            }
        }
        else if (node.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in node.EnumerateArray())
            {
                if (Reads(item, dataset, ctes) is { } refused)
                {
                    return refused;
                }
            }
        }

        return null;
    }

    private static (LakeQueryResult?, FieldError?, bool) Execute(string dataset, string folder, string sql, int limit, TimeSpan timeLimit, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        using var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        var root = Path.GetFullPath(folder).TrimEnd('/') + "/";
        using (var setup = connection.CreateCommand())
        {
            // The dataset's own fields only: partition folders are not read as columns (their 'date' would hide a field of that name).
            setup.CommandText = $"""
                CREATE VIEW "{dataset.Replace("\"", "\"\"", StringComparison.Ordinal)}" AS
                  SELECT * FROM read_parquet('{root.Replace("'", "''", StringComparison.Ordinal)}**/*.parquet', hive_partitioning = false, union_by_name = true);
                SET allowed_directories = ['{root.Replace("'", "''", StringComparison.Ordinal)}'];
                SET enable_external_access = false;
                SET autoinstall_known_extensions = false;
                SET autoload_known_extensions = false;
                SET threads = 1;
                SET memory_limit = '256MB';
                SET lock_configuration = true;
                """;
            setup.ExecuteNonQuery();
        }

        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(timeLimit);
        using var cancel = timeout.Token.Register(command.Cancel);
        try
        {
            using var reader = command.ExecuteReader();
            var columns = Enumerable.Range(0, reader.FieldCount).Select(i => new LakeQueryColumn(reader.GetName(i), reader.GetDataTypeName(i))).ToList();
            var rows = new List<object?[]>();
            var truncated = false;
            while (reader.Read())
            {
                if (rows.Count == limit)
                {
                    truncated = true;
                    break;
                }

                var row = new object?[reader.FieldCount];
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = reader.IsDBNull(i) ? null : Json(reader.GetValue(i));
                }

                rows.Add(row);
            }

            return (new LakeQueryResult(columns, rows, rows.Count, truncated, watch.ElapsedMilliseconds), null, false);
        }
        catch (Exception e) when (e is DuckDBException or OperationCanceledException && timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return (null, new FieldError("sql", "time_limit", $"ran longer than the {timeLimit.TotalSeconds:G} s a lake query may take"), false);
        }
        catch (DuckDBException e)
        {
            return (null, new FieldError("sql", "query", e.Message.Split('\n')[0]), false);
        }
    }

    /// <summary>A DuckDB value as JSON carries it: huge integers and non-finite doubles as text, dates and times in ISO 8601.</summary>
    private static object? Json(object value) => value switch
    {
        BigInteger big => big >= long.MinValue && big <= long.MaxValue ? (long)big : big.ToString(CultureInfo.InvariantCulture),
        double d when !double.IsFinite(d) => d.ToString(CultureInfo.InvariantCulture),
        float f when !float.IsFinite(f) => f.ToString(CultureInfo.InvariantCulture),
        DateOnly date => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        TimeOnly time => time.ToString("HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture),
        _ => value,
    };
}
