using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mysimbdp.Avro;
using Catalog.Datasets;

namespace Platform.Api.Rows;

/// <summary>
/// Turns stored rows back into JSON by the dataset's Avro types: dates as yyyy-MM-dd, times as HH:mm:ss[.fff],
/// timestamps as ISO 8601 UTC, decimals and big integers as exact strings, bytes as base64, and arrays, maps
/// and records as the JSON they were stored as.
/// </summary>
public static class RowRenderer
{
    public static JsonObject Render(Dataset dataset, object?[] row)
    {
        var json = new JsonObject();
        var fields = dataset.Schema.Fields;
        for (var i = 0; i < fields.Count; i++)
        {
            // A field added with a default after a row was written reads as its default, as Avro resolution says.
            json[fields[i].Name] = row[i] is null && fields[i].Default is { } fallback && fallback.ValueKind != JsonValueKind.Null
                ? JsonNode.Parse(fallback.GetRawText())
                : Value(AvroColumns.Unwrap(fields[i].Schema), row[i]);
        }

        return json;
    }

    private static JsonNode? Value(Schema schema, object? value) => value switch
    {
        null => null,
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        TimeOnly t => t.ToString(t.Ticks % TimeSpan.TicksPerSecond == 0 ? "HH:mm:ss" : "HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture),
        DateTimeOffset ts => ts.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture),
        long l when schema.LogicalType?.Name is LogicalType.TimestampMicros or LogicalType.LocalTimestampMicros =>
            DateTimeOffset.UnixEpoch.AddTicks(l * 10).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture),
        long l when schema.LogicalType?.Name is LogicalType.TimestampNanos or LogicalType.LocalTimestampNanos =>
            DateTimeOffset.UnixEpoch.AddTicks(l / 100).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture) + $" (+{l % 100} ns)",
        byte[] bytes => Convert.ToBase64String(bytes),
        Guid g => g.ToString("D"),
        BigInteger b => b.ToString(CultureInfo.InvariantCulture),
        string s when schema.Kind is SchemaKind.Array or SchemaKind.Map or SchemaKind.Record or SchemaKind.Union => JsonNode.Parse(s),
        string s => s,
        bool b => b,
        int i => i,
        long l => l,
        float f => f,
        double d => d,
        _ => value.ToString(),
    };
}
