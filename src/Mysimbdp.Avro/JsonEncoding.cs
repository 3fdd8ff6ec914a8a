using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Mysimbdp.Avro;

/// <summary>
/// Avro's JSON encoding of datums (specification, "JSON Encoding"): like field defaults, except that a
/// non-null union value is wrapped in an object naming its branch. Bytes and fixed are strings of code
/// points 0-255; non-finite floats are the strings "NaN", "Infinity", "-Infinity".
/// </summary>
public static class JsonEncoding
{
    /// <param name="schema">The datum's schema.</param>
    /// <param name="value">The datum.</param>
    /// <param name="wrapUnions">Avro's JSON encoding wraps a union value in an object naming its branch; without
    /// wrapping the result is plain JSON, as field defaults are written (and as the platform stores nested values).</param>
    public static string ToJson(Schema schema, object? value, bool wrapUnions = true)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            Write(schema, value, writer, wrapUnions);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static void Write(Schema schema, object? value, Utf8JsonWriter w, bool wrapUnions = true)
    {
        switch (schema)
        {
            case UnionSchema union:
                var branch = union.Branches[DatumWriter.BranchOf(union, value)];
                if (branch.Kind == SchemaKind.Null)
                {
                    w.WriteNullValue();
                    return;
                }

                if (!wrapUnions)
                {
                    Write(branch, value, w, wrapUnions);
                    return;
                }

                w.WriteStartObject();
                w.WritePropertyName(branch is NamedSchema n ? n.FullName : Schema.KindName(branch.Kind));
                Write(branch, value, w, wrapUnions);
                w.WriteEndObject();
                return;
            case RecordSchema record:
                var g = (GenericRecord)value!;
                w.WriteStartObject();
                foreach (var field in record.Fields)
                {
                    w.WritePropertyName(field.Name);
                    Write(field.Schema, g.Values[field.Position], w, wrapUnions);
                }

                w.WriteEndObject();
                return;
            case EnumSchema:
                w.WriteStringValue(value is GenericEnumSymbol e ? e.Symbol : (string)value!);
                return;
            case FixedSchema:
                w.WriteStringValue(Latin1(value is GenericFixed f ? f.Value : (byte[])value!));
                return;
            case ArraySchema array:
                w.WriteStartArray();
                foreach (var item in (IList)value!)
                {
                    Write(array.Items, item, w, wrapUnions);
                }

                w.WriteEndArray();
                return;
            case MapSchema map:
                w.WriteStartObject();
                foreach (var (key, item) in (IDictionary<string, object?>)value!)
                {
                    w.WritePropertyName(key);
                    Write(map.Values, item, w, wrapUnions);
                }

                w.WriteEndObject();
                return;
        }

        switch (schema.Kind)
        {
            case SchemaKind.Null: w.WriteNullValue(); break;
            case SchemaKind.Boolean: w.WriteBooleanValue((bool)value!); break;
            case SchemaKind.Int: w.WriteNumberValue(Convert.ToInt32(value, CultureInfo.InvariantCulture)); break;
            case SchemaKind.Long: w.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
            case SchemaKind.Float or SchemaKind.Double:
                var d = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (double.IsFinite(d))
                {
                    w.WriteNumberValue(d);
                }
                else
                {
                    w.WriteStringValue(double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
                }

                break;
            case SchemaKind.Bytes: w.WriteStringValue(Latin1((byte[])value!)); break;
            default: w.WriteStringValue((string)value!); break;
        }
    }

    /// <summary>Reads a datum from Avro's JSON encoding (also used for field defaults, where unions are not wrapped).</summary>
    public static object? FromJson(Schema schema, JsonElement json, bool wrappedUnions = true)
    {
        switch (schema)
        {
            case UnionSchema union when wrappedUnions:
                if (json.ValueKind == JsonValueKind.Null)
                {
                    return union.NullIndex >= 0 ? null : throw new AvroDataException($"null is not a branch of {union.CanonicalForm}.");
                }

                var property = json.EnumerateObject().Single();
                var branch = union.Branches.FirstOrDefault(b => (b is NamedSchema n ? n.FullName : Schema.KindName(b.Kind)) == property.Name)
                    ?? throw new AvroDataException($"'{property.Name}' is not a branch of {union.CanonicalForm}.");
                return FromJson(branch, property.Value, wrappedUnions);
            case UnionSchema union:
                foreach (var candidate in union.Branches)
                {
                    if (DefaultValues.Check(candidate, json) is null)
                    {
                        return FromJson(candidate, json, wrappedUnions);
                    }
                }

                throw new AvroDataException($"{json.GetRawText()} fits no branch of {union.CanonicalForm}.");
            case RecordSchema record:
                var values = new object?[record.Fields.Count];
                foreach (var field in record.Fields)
                {
                    values[field.Position] = json.TryGetProperty(field.Name, out var fieldJson)
                        ? FromJson(field.Schema, fieldJson, wrappedUnions)
                        : field.Default is { } d ? FromJson(field.Schema, d, wrappedUnions: false)
                        : throw new AvroDataException($"Field '{field.Name}' of {record.FullName} is missing and has no default.");
                }

                return new GenericRecord(record, values);
            case EnumSchema e: return new GenericEnumSymbol(e, json.GetString()!);
            case FixedSchema f: return new GenericFixed(f, FromLatin1(json.GetString()!));
            case ArraySchema a: return json.EnumerateArray().Select(item => FromJson(a.Items, item, wrappedUnions)).ToList();
            case MapSchema m:
                var map = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var p in json.EnumerateObject())
                {
                    map[p.Name] = FromJson(m.Values, p.Value, wrappedUnions);
                }

                return map;
        }

        return schema.Kind switch
        {
            SchemaKind.Null => null,
            SchemaKind.Boolean => json.GetBoolean(),
            SchemaKind.Int => json.GetInt32(),
            SchemaKind.Long => json.GetInt64(),
            SchemaKind.Float => json.ValueKind == JsonValueKind.String ? float.Parse(json.GetString()!, CultureInfo.InvariantCulture) : json.GetSingle(),
            SchemaKind.Double => json.ValueKind == JsonValueKind.String ? double.Parse(json.GetString()!, CultureInfo.InvariantCulture) : json.GetDouble(),
            SchemaKind.Bytes => FromLatin1(json.GetString()!),
            _ => json.GetString(),
        };
    }

    private static string Latin1(byte[] bytes) => string.Create(bytes.Length, bytes, (chars, b) =>
    {
        for (var i = 0; i < b.Length; i++)
        {
            chars[i] = (char)b[i];
        }
    });

    private static byte[] FromLatin1(string text) => text.Select(c => c <= '\u00ff' ? (byte)c : throw new AvroDataException($"U+{(int)c:X4} is not a byte.")).ToArray();
}
