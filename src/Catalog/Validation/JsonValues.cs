using System.Globalization;
using System.Text.Json;

namespace Catalog.Validation;

/// <summary>
/// Reads loosely typed JSON values. Requests are validated as JSON first, so a wrong type is reported
/// per field with every other problem, instead of a deserializer stopping at the first one.
/// </summary>
public static class JsonValues
{
    public static bool IsPresent(JsonElement? value) => value is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) };

    /// <summary>An integer given as a JSON number or a numeric string (the seed formats use both).</summary>
    public static bool TryGetInteger(JsonElement? value, out long result)
    {
        result = 0;
        return value switch
        {
            { ValueKind: JsonValueKind.Number } n => n.TryGetInt64(out result),
            { ValueKind: JsonValueKind.String } s => long.TryParse(s.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out result),
            _ => false,
        };
    }

    public static bool TryGetNumber(JsonElement? value, out double result)
    {
        result = 0;
        return value switch
        {
            { ValueKind: JsonValueKind.Number } n => n.TryGetDouble(out result),
            { ValueKind: JsonValueKind.String } s => double.TryParse(s.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out result) && double.IsFinite(result),
            _ => false,
        };
    }

    /// <summary>A boolean given as JSON true/false or the strings "true"/"false" (Kafka Connect style configs).</summary>
    public static bool TryGetBoolean(JsonElement? value, out bool result)
    {
        result = false;
        switch (value?.ValueKind)
        {
            case JsonValueKind.True: result = true; return true;
            case JsonValueKind.False: return true;
            case JsonValueKind.String: return bool.TryParse(value.Value.GetString(), out result);
            default: return false;
        }
    }

    public static string? GetString(JsonElement? value) => value is { ValueKind: JsonValueKind.String } s ? s.GetString() : null;

    /// <summary>The strings of a JSON array of strings, or null when it is not one.</summary>
    public static List<string>? GetStrings(JsonElement? value)
    {
        if (value is not { ValueKind: JsonValueKind.Array } array)
        {
            return null;
        }

        var result = new List<string>();
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            result.Add(item.GetString()!);
        }

        return result;
    }

    public static string Describe(JsonElement? value) => value switch
    {
        null => "missing",
        { ValueKind: JsonValueKind.String } s => $"'{s.GetString()}'",
        { ValueKind: JsonValueKind.Number } n => n.GetRawText(),
        { ValueKind: JsonValueKind.True } => "true",
        { ValueKind: JsonValueKind.False } => "false",
        { ValueKind: JsonValueKind.Null } => "null",
        { ValueKind: JsonValueKind.Array } => "an array",
        { ValueKind: JsonValueKind.Object } => "an object",
        _ => "nothing",
    };
}
