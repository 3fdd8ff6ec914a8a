using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using Cql;

namespace Coredms.Cassandra;

/// <summary>
/// The CQL the Cassandra engine sends, and coredms values to and from CQL values. Kept apart from the
/// connection so that it is tested without a server. Names are quoted identifiers; every statement with values
/// is prepared.
/// </summary>
public static class CassandraCql
{
    public static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public static string Qualified(TableSchema table) => Quote(table.Keyspace) + "." + Quote(table.Name);

    public static string CreateKeyspace(string keyspace, CassandraOptions options)
    {
        string replication;
        if (options.Replication == "NetworkTopologyStrategy")
        {
            var centers = options.DataCenters.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(dc => dc.Split(':')).Select(p => $"'{p[0]}': {int.Parse(p[1], CultureInfo.InvariantCulture)}");
            replication = "{'class': 'NetworkTopologyStrategy', " + string.Join(", ", centers) + "}";
        }
        else
        {
            replication = $"{{'class': 'SimpleStrategy', 'replication_factor': {options.ReplicationFactor}}}";
        }

        return $"CREATE KEYSPACE IF NOT EXISTS {Quote(keyspace)} WITH replication = {replication}";
    }

    /// <summary>
    /// A column's CQL type. Collections are frozen, at any depth: the engine always writes whole values, a frozen
    /// collection is one cell instead of one per element, an empty one stays empty (Cassandra reads an empty
    /// non-frozen collection back as null), and collections inside collections must be frozen anyway. Written
    /// as <c>system_schema.columns</c> shows it, so that an existing table's types compare equal.
    /// </summary>
    public static string TypeOf(DataType type) => type.Kind switch
    {
        DataTypeKind.List => $"frozen<list<{TypeOf(type.Element!)}>>",
        DataTypeKind.Set => $"frozen<set<{TypeOf(type.Element!)}>>",
        DataTypeKind.Map => $"frozen<map<{TypeOf(type.Key!)}, {TypeOf(type.Element!)}>>",
        _ => type.Kind.ToString().ToLowerInvariant(),
    };

    public static string CreateTable(TableSchema table)
    {
        var columns = string.Join(", ", table.Columns.Select(c => $"{Quote(c.Name)} {TypeOf(c.Type)}"));
        var partition = "(" + string.Join(", ", table.PartitionKey.Select(Quote)) + ")";
        var key = table.ClusteringKey.Count == 0 ? partition : partition + ", " + string.Join(", ", table.ClusteringKey.Select(Quote));
        return $"CREATE TABLE IF NOT EXISTS {Qualified(table)} ({columns}, PRIMARY KEY ({key}))";
    }

    public static string AddColumn(TableSchema table, Column column) => $"ALTER TABLE {Qualified(table)} ADD {Quote(column.Name)} {TypeOf(column.Type)}";

    /// <summary>An upsert of every column; the TTL is bound (0 = none).</summary>
    public static string Insert(TableSchema table, bool ifNotExists = false) =>
        $"INSERT INTO {Qualified(table)} ({string.Join(", ", table.Columns.Select(c => Quote(c.Name)))}) VALUES ({string.Join(", ", table.Columns.Select(_ => "?"))})"
        + (ifNotExists ? " IF NOT EXISTS" : "") + " USING TTL ?";

    /// <summary>A conditional update: IF each expected column holds its value, or IF EXISTS when nothing is expected; the TTL is bound (0 = none).</summary>
    public static string Update(TableSchema table, IEnumerable<string> changed, IReadOnlyCollection<string> expected) =>
        $"UPDATE {Qualified(table)} USING TTL ? SET {string.Join(", ", changed.Select(c => Quote(c) + " = ?"))} WHERE {Where(table.PrimaryKey)} IF "
        + (expected.Count == 0 ? "EXISTS" : string.Join(" AND ", expected.Select(c => Quote(c) + " = ?")));

    public static string Select(TableSchema table, int prefix) =>
        $"SELECT {string.Join(", ", table.Columns.Select(c => Quote(c.Name)))} FROM {Qualified(table)}" + (prefix == 0 ? "" : " WHERE " + Where(table.PrimaryKey.Take(prefix)));

    public static string Truncate(TableSchema table) => $"TRUNCATE {Qualified(table)}";

    public static string Delete(TableSchema table, int prefix) => $"DELETE FROM {Qualified(table)} WHERE {Where(table.PrimaryKey.Take(prefix))}";

    /// <summary>A conditional delete of one row: IF each expected column holds its value, or IF EXISTS when nothing is expected.</summary>
    public static string DeleteIf(TableSchema table, IReadOnlyCollection<string> expected) =>
        $"DELETE FROM {Qualified(table)} WHERE {Where(table.PrimaryKey)} IF "
        + (expected.Count == 0 ? "EXISTS" : string.Join(" AND ", expected.Select(c => Quote(c) + " = ?")));

    private static string Where(IEnumerable<string> columns) => string.Join(" AND ", columns.Select(c => Quote(c) + " = ?"));

    /// <summary>A coredms value (as <see cref="RowBatch.GetValue"/> gives it) as the CQL value its column takes.</summary>
    public static object? ToCql(DataType type, object? value) => value is null ? null : type.Kind switch
    {
        DataTypeKind.Decimal => ParseDecimal((string)value),
        DataTypeKind.Time => ((TimeOnly)value).Ticks * 100,
        DataTypeKind.List or DataTypeKind.Set or DataTypeKind.Map => FromJson(type, JsonDocument.Parse((string)value).RootElement),
        _ => value,
    };

    /// <summary>A CQL value read back as coredms gives it (collections as JSON text, decimals as digits).</summary>
    public static object? FromCql(DataType type, object? value) => value is null ? null : type.Kind switch
    {
        DataTypeKind.Decimal => ((CqlDecimal)value).ToString(),
        DataTypeKind.Time => new TimeOnly((long)value / 100),
        DataTypeKind.List or DataTypeKind.Set or DataTypeKind.Map => ToJson(type, value),
        _ => value,
    };

    public static CqlDecimal ParseDecimal(string text)
    {
        var negative = text.StartsWith('-');
        var digits = text.TrimStart('-', '+');
        var dot = digits.IndexOf('.');
        var scale = dot < 0 ? 0 : digits.Length - dot - 1;
        var unscaled = BigInteger.Parse(dot < 0 ? digits : digits.Remove(dot, 1), CultureInfo.InvariantCulture);
        return new CqlDecimal(negative ? -unscaled : unscaled, scale);
    }

    private static object? FromJson(DataType type, JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : type.Kind switch
    {
        DataTypeKind.Boolean => e.GetBoolean(),
        DataTypeKind.Int => e.GetInt32(),
        DataTypeKind.BigInt or DataTypeKind.Timestamp => e.ValueKind == JsonValueKind.String && type.Kind == DataTypeKind.Timestamp
            ? DateTimeOffset.Parse(e.GetString()!, CultureInfo.InvariantCulture) : (object)e.GetInt64(),
        DataTypeKind.Float => e.GetSingle(),
        DataTypeKind.Double => e.GetDouble(),
        DataTypeKind.VarInt => BigInteger.Parse(e.GetRawText().Trim('"'), CultureInfo.InvariantCulture),
        DataTypeKind.Decimal => ParseDecimal(e.GetRawText().Trim('"')),
        DataTypeKind.Blob => Convert.FromBase64String(e.GetString()!),
        DataTypeKind.Uuid => Guid.Parse(e.GetString()!),
        DataTypeKind.Date => DateOnly.Parse(e.GetString()!, CultureInfo.InvariantCulture),
        DataTypeKind.Time => TimeOnly.Parse(e.GetString()!, CultureInfo.InvariantCulture).Ticks * 100,
        DataTypeKind.List or DataTypeKind.Set => e.EnumerateArray().Select(x => FromJson(type.Element!, x)).ToList(),
        DataTypeKind.Map => e.EnumerateObject().ToDictionary(p => KeyOf(type.Key!, p.Name), p => FromJson(type.Element!, p.Value)),
        _ => e.GetString(),
    };

    /// <summary>A JSON object's property name as a map key: the text itself for text-stored keys, its literal otherwise (numbers, booleans).</summary>
    private static object KeyOf(DataType key, string name) =>
        FromJson(key, key.Storage == ValueStorage.Text ? JsonSerializer.SerializeToElement(name) : JsonDocument.Parse(name).RootElement)!;

    private static string ToJson(DataType type, object value)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            WriteJson(w, type, value);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteJson(Utf8JsonWriter w, DataType type, object? value)
    {
        switch (value)
        {
            case null: w.WriteNullValue(); return;
            case bool b: w.WriteBooleanValue(b); return;
            case int i: w.WriteNumberValue(i); return;
            case long l when type.Kind == DataTypeKind.Time: w.WriteStringValue(new TimeOnly(l / 100).ToString("HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture)); return;
            case long l: w.WriteNumberValue(l); return;
            case float f: w.WriteNumberValue(f); return;
            case double d: w.WriteNumberValue(d); return;
            case BigInteger big: w.WriteRawValue(big.ToString(CultureInfo.InvariantCulture)); return;
            case CqlDecimal dec: w.WriteRawValue(dec.ToString()); return;
            case string s: w.WriteStringValue(s); return;
            case byte[] bytes: w.WriteBase64StringValue(bytes); return;
            case Guid g: w.WriteStringValue(g.ToString("D")); return;
            case DateOnly date: w.WriteStringValue(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)); return;
            case DateTimeOffset t: w.WriteStringValue(t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)); return;
            case IDictionary<object, object?> map:
                w.WriteStartObject();
                foreach (var (key, item) in map)
                {
                    w.WritePropertyName(Convert.ToString(key is Guid k ? k.ToString("D") : key, CultureInfo.InvariantCulture)!);
                    WriteJson(w, type.Element!, item);
                }

                w.WriteEndObject();
                return;
            case IEnumerable<object?> list:
                w.WriteStartArray();
                foreach (var item in list)
                {
                    WriteJson(w, type.Element!, item);
                }

                w.WriteEndArray();
                return;
            default:
                w.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                return;
        }
    }
}
