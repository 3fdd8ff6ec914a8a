using System.Globalization;
using System.Text.Json;
using Mysimbdp.Avro;
using Catalog.Validation;
using FluentValidation;

namespace Catalog.Datasets;

/// <summary>
/// Extra text formats a dataset accepts for date, time and timestamp fields (the <c>formats</c> object),
/// tried after the ISO 8601 forms, e.g. <c>{"time": ["HH:mm:ss", "H.mm"]}</c>. Patterns use .NET custom
/// date and time format strings.
/// </summary>
public static class FieldFormats
{
    public static IReadOnlyDictionary<string, string[]> From(JsonElement? formats)
    {
        var result = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (formats is { ValueKind: JsonValueKind.Object } f)
        {
            foreach (var property in f.EnumerateObject())
            {
                result[property.Name] = JsonValues.GetStrings(property.Value)?.ToArray() ?? [];
            }
        }

        return result;
    }

    internal static void Validate(JsonElement? formats, RecordSchema record, ValidationContext<DataConfigurationDocument> ctx)
    {
        if (!JsonValues.IsPresent(formats))
        {
            return;
        }

        if (formats!.Value.ValueKind != JsonValueKind.Object)
        {
            ctx.Fail("formats", Rules.Type, "must map date, time or timestamp field names to lists of format patterns");
            return;
        }

        foreach (var property in formats.Value.EnumerateObject())
        {
            var path = "formats." + property.Name;
            var field = record.GetField(property.Name);
            if (field is null)
            {
                ctx.Fail(path, Rules.FieldReference, $"'{property.Name}' is not a field of record '{record.Name}'");
                continue;
            }

            if (AvroColumns.Unwrap(field.Schema).LogicalType?.Name is not (LogicalType.Date or LogicalType.TimeMillis or LogicalType.TimeMicros
                or LogicalType.TimestampMillis or LogicalType.TimestampMicros or LogicalType.TimestampNanos
                or LogicalType.LocalTimestampMillis or LogicalType.LocalTimestampMicros or LogicalType.LocalTimestampNanos))
            {
                ctx.Fail(path, Rules.Type, $"formats apply to date, time and timestamp fields; '{field.Name}' is {field.Schema.DisplayName}");
                continue;
            }

            var patterns = JsonValues.GetStrings(property.Value);
            if (patterns is null || patterns.Count == 0)
            {
                ctx.Fail(path, Rules.Type, "must be a non-empty list of format patterns such as \"HH:mm:ss\"");
                continue;
            }

            for (var i = 0; i < patterns.Count; i++)
            {
                try
                {
                    if (patterns[i].Length == 0)
                    {
                        throw new FormatException("empty pattern");
                    }

                    _ = new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc).ToString(patterns[i], CultureInfo.InvariantCulture);
                }
                catch (FormatException)
                {
                    ctx.Fail($"{path}[{i}]", Rules.Format, $"'{patterns[i]}' is not a valid date/time format pattern");
                }
            }
        }
    }
}
