using System.Text.Json;

namespace Mysimbdp.Avro;

/// <summary>Checks a field default against its schema, per the specification's table of default values.</summary>
internal static class DefaultValues
{
    /// <summary>Returns why the default does not fit the schema, or null when it fits.</summary>
    public static string? Check(Schema schema, JsonElement value) => Check(schema, value, 0);

    private static string? Check(Schema schema, JsonElement value, int depth)
    {
        if (depth > 64)
        {
            return "the default is nested too deeply";
        }

        string Expected(string what) => $"default {SchemaParser.Describe(value)} is not {what} (the field's type is {schema.DisplayName})";

        switch (schema)
        {
            case UnionSchema union:
                return union.Branches.Any(b => Check(b, value, depth + 1) is null)
                    ? null
                    : Expected("a value of any branch of the union");
            case RecordSchema record:
                if (value.ValueKind != JsonValueKind.Object)
                {
                    return Expected("an object");
                }

                foreach (var field in record.Fields)
                {
                    if (value.TryGetProperty(field.Name, out var fieldValue))
                    {
                        if (Check(field.Schema, fieldValue, depth + 1) is { } problem)
                        {
                            return $"field '{field.Name}': {problem}";
                        }
                    }
                    else if (field.Default is null)
                    {
                        return $"the default object lacks field '{field.Name}', which has no default of its own";
                    }
                }

                return null;
            case EnumSchema e:
                return value.ValueKind == JsonValueKind.String && e.IndexOf(value.GetString()!) >= 0 ? null : Expected("one of the enum's symbols");
            case FixedSchema f:
                return value.ValueKind == JsonValueKind.String && IsByteString(value.GetString()!) && value.GetString()!.Length == f.Size
                    ? null
                    : Expected($"a string of {f.Size} characters in U+0000..U+00FF");
            case ArraySchema a:
                if (value.ValueKind != JsonValueKind.Array)
                {
                    return Expected("an array");
                }

                foreach (var item in value.EnumerateArray())
                {
                    if (Check(a.Items, item, depth + 1) is { } problem)
                    {
                        return problem;
                    }
                }

                return null;
            case MapSchema m:
                if (value.ValueKind != JsonValueKind.Object)
                {
                    return Expected("an object");
                }

                foreach (var property in value.EnumerateObject())
                {
                    if (Check(m.Values, property.Value, depth + 1) is { } problem)
                    {
                        return problem;
                    }
                }

                return null;
        }

        return schema.Kind switch
        {
            SchemaKind.Null => value.ValueKind == JsonValueKind.Null ? null : Expected("null"),
            SchemaKind.Boolean => value.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : Expected("true or false"),
            SchemaKind.Int => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _) ? null : Expected("a 32-bit integer"),
            SchemaKind.Long => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _) ? null : Expected("a 64-bit integer"),
            SchemaKind.Float or SchemaKind.Double => value.ValueKind == JsonValueKind.Number ? null : Expected("a number"),
            SchemaKind.Bytes => value.ValueKind == JsonValueKind.String && IsByteString(value.GetString()!) ? null : Expected("a string of characters in U+0000..U+00FF"),
            SchemaKind.String => value.ValueKind == JsonValueKind.String ? null : Expected("a string"),
            _ => Expected("valid"),
        };
    }

    private static bool IsByteString(string s) => s.All(c => c <= '\u00FF');
}
