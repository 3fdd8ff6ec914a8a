using System.Net.Sockets;
using System.Text;
using Catalog.Connections;
using Catalog.Datasets;
using Mysimbdp.Avro;
using Npgsql;

namespace StreamIngestManager.Cdc;

/// <summary>One thing wrong with a source, as the API reports it: the field it concerns, the rule, and why.</summary>
public sealed record SourceProblem(string Field, string Rule, string Message);

/// <summary>A column of the source table: its name, its type's name (<c>pg_type.typname</c>), and whether it is in the primary key.</summary>
public sealed record SourceColumn(string Name, string Type, bool NotNull, bool InKey);

/// <summary>
/// What the platform asks of a tenant's PostgreSQL before capturing from it, and how its values become rows: the
/// connection opens with the password given, the server's <c>wal_level</c> is <c>logical</c>, the login may replicate,
/// the table exists with a primary key equal to the dataset's, and each field of the dataset's schema has a column
/// whose type it can take (or may be left null). Values travel as PostgreSQL's text output (what pgoutput sends and
/// what <c>::text</c> gives in the snapshot), and go through the same conversion and quality rules as events.
/// </summary>
public static class PostgresSource
{
    public static string ConnectionString(SourceConnection connection, string password, string applicationName = "mysimbdp") =>
        new NpgsqlConnectionStringBuilder
        {
            Host = connection.Host, Port = connection.Port, Database = connection.Database, Username = connection.User, Password = password,
            ApplicationName = applicationName, Timeout = 10, CommandTimeout = 60, Pooling = false,
        }.ConnectionString;

    /// <summary>Opens the connection; a problem naming what failed (login, database, network) when it cannot.</summary>
    public static async Task<(NpgsqlConnection? Connection, SourceProblem? Problem)> OpenAsync(string connectionString, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(ct);
            return (connection, null);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or SocketException)
        {
            await connection.DisposeAsync();
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            return (null, (e as PostgresException)?.SqlState switch
            {
                "28P01" or "28000" => new SourceProblem("password", "authentication", $"PostgreSQL refused the login of user '{builder.Username}': {((PostgresException)e).MessageText}"),
                "3D000" => new SourceProblem("database", "exists", $"PostgreSQL has no database '{builder.Database}'"),
                { } state => new SourceProblem("host", "connect", $"PostgreSQL refused the connection ({state}): {((PostgresException)e).MessageText}"),
                null => new SourceProblem("host", "connect", $"cannot reach PostgreSQL at {builder.Host}:{builder.Port}: {e.Message}"),
            });
        }
    }

    /// <summary>What the server must allow for capture: logical WAL, and a login that may replicate.</summary>
    public static async Task<List<SourceProblem>> CheckServerAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var problems = new List<SourceProblem>();
        var walLevel = (string)(await ScalarAsync(connection, "SHOW wal_level", ct))!;
        if (walLevel != "logical")
        {
            problems.Add(new SourceProblem("host", "wal_level", $"the server's wal_level is '{walLevel}'; change data capture needs 'logical' (set wal_level = logical in postgresql.conf and restart the server)"));
        }

        if (!(bool)(await ScalarAsync(connection, "SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user", ct))!)
        {
            problems.Add(new SourceProblem("user", "replication", "the user may not replicate: ALTER ROLE ... REPLICATION (or grant it a role that may)"));
        }

        return problems;
    }

    /// <summary>The table's columns in order, or null when there is no such table.</summary>
    public static async Task<List<SourceColumn>?> ColumnsAsync(NpgsqlConnection connection, DatasetSource source, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT a.attname, t.typname, a.attnotnull, coalesce(a.attnum = ANY(i.indkey), false)
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            JOIN pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
            WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
            ORDER BY a.attnum
            """, connection);
        command.Parameters.Add(new() { Value = source.SchemaName });
        command.Parameters.Add(new() { Value = source.TableName });
        var columns = new List<SourceColumn>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            columns.Add(new SourceColumn(reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), reader.GetBoolean(3)));
        }

        return columns.Count == 0 ? null : columns;
    }

    /// <summary>Every way the table's columns fail the dataset's schema and key (empty when the dataset can take the table's rows).</summary>
    public static List<SourceProblem> CheckColumns(Dataset dataset, IReadOnlyList<SourceColumn> columns)
    {
        var problems = new List<SourceProblem>();
        var byName = columns.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var key = columns.Where(c => c.InKey).Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        if (!key.SetEquals(dataset.PrimaryKey))
        {
            problems.Add(new SourceProblem("source.table", "primary_key", key.Count == 0
                ? $"table {dataset.Source!.Table} has no primary key; the dataset's is ({string.Join(", ", dataset.PrimaryKey)}), and deletes are captured by it"
                : $"table {dataset.Source!.Table} has primary key ({string.Join(", ", key.Order(StringComparer.Ordinal))}), the dataset ({string.Join(", ", dataset.PrimaryKey)}): they must be the same columns"));
        }

        foreach (var (field, index) in dataset.Schema.Fields.Select((f, i) => (f, i)))
        {
            if (!byName.TryGetValue(field.Name, out var column))
            {
                if (!AvroColumnsNullable(field))
                {
                    problems.Add(new SourceProblem($"schema.fields[{index}]", "column", $"table {dataset.Source!.Table} has no column '{field.Name}', and the field is neither nullable nor has a default"));
                }

                continue;
            }

            if (Accepts(field.Schema, column.Type) is { } accepted && !accepted)
            {
                problems.Add(new SourceProblem($"schema.fields[{index}]", "type", $"column '{column.Name}' is {column.Type}, which the field's type {Describe(field.Schema)} cannot take"));
            }
            else if (!column.NotNull && !Catalog.Datasets.AvroColumns.IsNullable(field.Schema) && field.Default is null)
            {
                problems.Add(new SourceProblem($"schema.fields[{index}]", "nullable", $"column '{column.Name}' may be null, and the field is not nullable: make it [\"null\", ...] or the column NOT NULL"));
            }
        }

        return problems;
    }

    private static bool AvroColumnsNullable(Field field) => Catalog.Datasets.AvroColumns.IsNullable(field.Schema) || field.Default is not null;

    private static string Describe(Schema schema) => Catalog.Datasets.AvroColumns.Unwrap(schema) is var s && s.LogicalType is { } logical ? logical.Name : s.Kind.ToString().ToLowerInvariant();

    /// <summary>Whether a field of <paramref name="schema"/> can take the text of a <paramref name="type"/> column; null when any text will do (strings).</summary>
    private static bool? Accepts(Schema schema, string type)
    {
        var s = Catalog.Datasets.AvroColumns.Unwrap(schema);
        return s.LogicalType?.Name switch
        {
            LogicalType.Date => type == "date",
            LogicalType.TimeMillis or LogicalType.TimeMicros => type == "time",
            LogicalType.TimestampMillis or LogicalType.TimestampMicros or LogicalType.TimestampNanos => type is "timestamptz" or "timestamp",
            LogicalType.LocalTimestampMillis or LogicalType.LocalTimestampMicros or LogicalType.LocalTimestampNanos => type == "timestamp",
            LogicalType.Decimal => type is "numeric" or "int2" or "int4" or "int8",
            LogicalType.Uuid => type is "uuid" or "text" or "varchar" or "bpchar",
            _ => s.Kind switch
            {
                SchemaKind.Boolean => type == "bool",
                SchemaKind.Int => type is "int2" or "int4",
                SchemaKind.Long => type is "int2" or "int4" or "int8",
                SchemaKind.Float or SchemaKind.Double => type is "float4" or "float8" or "numeric" or "int2" or "int4" or "int8",
                SchemaKind.String => null,
                SchemaKind.Enum => type is "text" or "varchar" or "bpchar" || !IsBuiltIn(type),
                _ => false,
            },
        };
    }

    private static bool IsBuiltIn(string type) => type is "bool" or "int2" or "int4" or "int8" or "float4" or "float8" or "numeric" or "date" or "time" or "timestamp"
        or "timestamptz" or "uuid" or "bytea" or "json" or "jsonb" or "text" or "varchar" or "bpchar";

    /// <summary>
    /// A data configuration that captures the table: a field per column (a nullable column is a nullable field with a
    /// null default), the table's primary key, ingestion_mode stream. The tenant edits it (key_space, names) and PUTs it.
    /// </summary>
    public static System.Text.Json.Nodes.JsonObject Propose(string connection, DatasetSource source, IReadOnlyList<SourceColumn> columns)
    {
        var fields = new System.Text.Json.Nodes.JsonArray();
        foreach (var column in columns)
        {
            System.Text.Json.Nodes.JsonNode type = column.Type switch
            {
                "bool" => "boolean",
                "int2" or "int4" => "int",
                "int8" => "long",
                "float4" => "float",
                "float8" or "numeric" => "double",
                "date" => new System.Text.Json.Nodes.JsonObject { ["type"] = "int", ["logicalType"] = "date" },
                "time" => new System.Text.Json.Nodes.JsonObject { ["type"] = "long", ["logicalType"] = "time-micros" },
                "timestamptz" => new System.Text.Json.Nodes.JsonObject { ["type"] = "long", ["logicalType"] = "timestamp-micros" },
                "timestamp" => new System.Text.Json.Nodes.JsonObject { ["type"] = "long", ["logicalType"] = "local-timestamp-micros" },
                "uuid" => new System.Text.Json.Nodes.JsonObject { ["type"] = "string", ["logicalType"] = "uuid" },
                _ => "string",
            };
            var field = new System.Text.Json.Nodes.JsonObject { ["name"] = column.Name };
            if (column.NotNull)
            {
                field["type"] = type;
            }
            else
            {
                field["type"] = new System.Text.Json.Nodes.JsonArray("null", type);
                field["default"] = null;
            }

            fields.Add(field);
        }

        var record = string.Concat(source.TableName.Split('_', StringSplitOptions.RemoveEmptyEntries).Select(w => char.ToUpperInvariant(w[0]) + w[1..]));
        return new System.Text.Json.Nodes.JsonObject
        {
            ["name"] = source.TableName,
            ["file_type"] = "csv",
            ["key_space"] = "cdc",
            ["max_file_size_mb"] = 100,
            ["ingestion_mode"] = "stream",
            ["schema"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "record", ["name"] = char.IsAsciiLetter(record.FirstOrDefault()) ? record : "R" + record, ["fields"] = fields },
            ["primary_key"] = new System.Text.Json.Nodes.JsonArray(columns.Where(c => c.InKey).Select(c => (System.Text.Json.Nodes.JsonNode)c.Name).ToArray()),
            ["source"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "postgres_cdc", ["connection"] = connection, ["table"] = $"{source.SchemaName}.{source.TableName}" },
        };
    }

    /// <summary>The columns as the catalog keeps them, to notice when the table changes: <c>name type,...</c>.</summary>
    public static string Describe(IEnumerable<SourceColumn> columns) => string.Join(",", columns.Select(c => c.Name + " " + c.Type));

    /// <summary>
    /// Appends one change as a JSON line the events path reads: each captured column by name, its text as a string
    /// (or null). A timestamptz's short offset (<c>+00</c>) is written in full (<c>+00:00</c>), which .NET parses.
    /// </summary>
    public static void AppendJsonLine(StringBuilder lines, IReadOnlyList<(string Name, string Type, string? Text)> values)
    {
        lines.Append('{');
        for (var i = 0; i < values.Count; i++)
        {
            var (name, type, text) = values[i];
            if (i > 0)
            {
                lines.Append(',');
            }

            lines.Append(System.Text.Json.JsonSerializer.Serialize(name)).Append(':');
            if (text is null)
            {
                lines.Append("null");
                continue;
            }

            if (type == "timestamptz" && text.Length > 3 && text[^3] is '+' or '-' && char.IsAsciiDigit(text[^1]))
            {
                text += ":00";
            }

            lines.Append(System.Text.Json.JsonSerializer.Serialize(text));
        }

        lines.Append("}\n");
    }

    /// <summary>Quotes an identifier for SQL.</summary>
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public static string Qualified(DatasetSource source) => Quote(source.SchemaName) + "." + Quote(source.TableName);

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync(ct);
    }
}

/// <summary>The checks a registration makes before the platform captures from a tenant's database.</summary>
public sealed class SourceChecks(ConnectionCatalog connections)
{
    /// <summary>Opens <paramref name="connection"/> and checks the server allows capture: the problems, empty when it does.</summary>
    public async Task<List<SourceProblem>> CheckConnectionAsync(SourceConnection connection, CancellationToken ct)
    {
        var (open, problem) = await PostgresSource.OpenAsync(PostgresSource.ConnectionString(connection, connections.PasswordOf(connection)), ct);
        if (open is null)
        {
            return [problem!];
        }

        await using (open)
        {
            return await PostgresSource.CheckServerAsync(open, ct);
        }
    }

    /// <summary>A data configuration proposed from the table (<see cref="PostgresSource.Propose"/>), or the problems that prevent reading it.</summary>
    public async Task<(System.Text.Json.Nodes.JsonObject? Proposal, List<SourceProblem> Problems)> ProposeAsync(SourceConnection connection, DatasetSource source, CancellationToken ct)
    {
        var (open, problem) = await PostgresSource.OpenAsync(PostgresSource.ConnectionString(connection, connections.PasswordOf(connection)), ct);
        if (open is null)
        {
            return (null, [problem!]);
        }

        await using (open)
        {
            return await PostgresSource.ColumnsAsync(open, source, ct) is { } columns
                ? (PostgresSource.Propose(connection.Name, source, columns), [])
                : (null, [new SourceProblem("table", "exists", $"database '{connection.Database}' has no table {source.SchemaName}.{source.TableName}")]);
        }
    }

    /// <summary>Checks that the dataset's source can be captured into it: its connection, server, table, key and columns.</summary>
    public async Task<List<SourceProblem>> CheckDatasetAsync(Dataset dataset, CancellationToken ct)
    {
        var source = dataset.Source!;
        if (await connections.GetAsync(dataset.Tenant, source.Connection, ct) is not { } connection)
        {
            return [new SourceProblem("source.connection", "exists", $"tenant '{dataset.Tenant}' has no connection '{source.Connection}': PUT /tenants/{dataset.Tenant}/connections/{source.Connection} first")];
        }

        var (open, problem) = await PostgresSource.OpenAsync(PostgresSource.ConnectionString(connection, connections.PasswordOf(connection)), ct);
        if (open is null)
        {
            return [problem! with { Field = "source.connection" }];
        }

        await using (open)
        {
            var problems = (await PostgresSource.CheckServerAsync(open, ct)).Select(p => p with { Field = "source.connection" }).ToList();
            if (await PostgresSource.ColumnsAsync(open, source, ct) is not { } columns)
            {
                problems.Add(new SourceProblem("source.table", "exists", $"database '{connection.Database}' has no table {source.SchemaName}.{source.TableName}"));
                return problems;
            }

            problems.AddRange(PostgresSource.CheckColumns(dataset, columns));
            return problems;
        }
    }
}
