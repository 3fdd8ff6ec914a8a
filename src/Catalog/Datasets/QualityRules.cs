using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Mysimbdp.Avro;
using Catalog.Validation;
using FluentValidation;

namespace Catalog.Datasets;

/// <summary>A validity rule on one field: numeric bounds, a pattern, or a list of allowed values.</summary>
public sealed record ValidityRule(double? Min, double? Max, Regex? Pattern, IReadOnlySet<string>? Allowed);

/// <summary>A timeliness rule: the field (a date or timestamp) must be at most this old, and not in the future beyond the tolerance.</summary>
public sealed record TimelinessRule(string Field, TimeSpan MaxAge, TimeSpan MaxFuture);

/// <summary>
/// A dataset's data-quality rules (the <c>quality</c> object): completeness (fields that must have a
/// non-empty value), validity (per-field bounds, patterns, allowed values) and timeliness. Rows that break
/// a rule are quarantined with the rule in the reason.
/// </summary>
public sealed record QualityRules(IReadOnlyList<string> Completeness, IReadOnlyDictionary<string, ValidityRule> Validity, TimelinessRule? Timeliness)
{
    public static readonly QualityRules None = new([], new Dictionary<string, ValidityRule>(), null);

    private static readonly TimeSpan PatternTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>Builds the rules from a validated <c>quality</c> object.</summary>
    public static QualityRules From(JsonElement? quality)
    {
        if (!JsonValues.IsPresent(quality))
        {
            return None;
        }

        var q = quality!.Value;
        var completeness = q.TryGetProperty("completeness", out var c) ? JsonValues.GetStrings(c) ?? [] : [];
        var validity = new Dictionary<string, ValidityRule>(StringComparer.Ordinal);
        if (q.TryGetProperty("validity", out var v) && v.ValueKind == JsonValueKind.Object)
        {
            foreach (var rule in v.EnumerateObject())
            {
                double? min = rule.Value.TryGetProperty("min", out var mn) && mn.ValueKind == JsonValueKind.Number ? mn.GetDouble() : null;
                double? max = rule.Value.TryGetProperty("max", out var mx) && mx.ValueKind == JsonValueKind.Number ? mx.GetDouble() : null;
                var pattern = rule.Value.TryGetProperty("pattern", out var p) && p.ValueKind == JsonValueKind.String
                    ? new Regex(p.GetString()!, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, PatternTimeout)
                    : null;
                var allowed = rule.Value.TryGetProperty("allowed", out var a) && a.ValueKind == JsonValueKind.Array
                    ? a.EnumerateArray().Select(Canonical).ToHashSet(StringComparer.Ordinal)
                    : null;
                validity[rule.Name] = new ValidityRule(min, max, pattern, allowed);
            }
        }

        TimelinessRule? timeliness = null;
        if (q.TryGetProperty("timeliness", out var t) && t.ValueKind == JsonValueKind.Object)
        {
            var maxFuture = t.TryGetProperty("max_future_minutes", out var f) && f.TryGetDouble(out var minutes) ? minutes : 5;
            timeliness = new TimelinessRule(t.GetProperty("field").GetString()!, TimeSpan.FromDays(t.GetProperty("max_age_days").GetDouble()),
                TimeSpan.FromMinutes(maxFuture));
        }

        return new QualityRules(completeness, validity, timeliness);
    }

    /// <summary>The text an allowed value is compared by: strings as they are, numbers in invariant form.</summary>
    private static string Canonical(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Number when value.TryGetInt64(out var l) => l.ToString(CultureInfo.InvariantCulture),
        JsonValueKind.Number => value.GetDouble().ToString("R", CultureInfo.InvariantCulture),
        _ => value.GetRawText(),
    };

    internal static void Validate(JsonElement? quality, RecordSchema record, ValidationContext<DataConfigurationDocument> ctx)
    {
        if (!JsonValues.IsPresent(quality))
        {
            return;
        }

        if (quality!.Value.ValueKind != JsonValueKind.Object)
        {
            ctx.Fail("quality", Rules.Type, "must be an object with 'completeness', 'validity' and/or 'timeliness'");
            return;
        }

        foreach (var property in quality.Value.EnumerateObject())
        {
            var path = "quality." + property.Name;
            switch (property.Name)
            {
                case "completeness":
                    var fields = JsonValues.GetStrings(property.Value);
                    if (fields is null)
                    {
                        ctx.Fail(path, Rules.Type, "must be a list of field names");
                        break;
                    }

                    for (var i = 0; i < fields.Count; i++)
                    {
                        CheckField(record, fields[i], $"{path}[{i}]", ctx);
                    }

                    break;
                case "validity":
                    ValidateValidity(property.Value, record, path, ctx);
                    break;
                case "timeliness":
                    ValidateTimeliness(property.Value, record, path, ctx);
                    break;
                default:
                    ctx.Fail(path, Rules.UnknownProperty, "is not a quality rule (completeness, validity, timeliness)");
                    break;
            }
        }
    }

    private static Field? CheckField(RecordSchema record, string name, string path, ValidationContext<DataConfigurationDocument> ctx)
    {
        var field = record.GetField(name);
        if (field is null)
        {
            ctx.Fail(path, Rules.FieldReference, $"'{name}' is not a field of record '{record.Name}'");
        }

        return field;
    }

    private static void ValidateValidity(JsonElement validity, RecordSchema record, string path, ValidationContext<DataConfigurationDocument> ctx)
    {
        if (validity.ValueKind != JsonValueKind.Object)
        {
            ctx.Fail(path, Rules.Type, "must map field names to rules such as {\"min\": 0, \"max\": 300}");
            return;
        }

        foreach (var rule in validity.EnumerateObject())
        {
            var rulePath = $"{path}.{rule.Name}";
            var field = CheckField(record, rule.Name, rulePath, ctx);
            if (rule.Value.ValueKind != JsonValueKind.Object)
            {
                ctx.Fail(rulePath, Rules.Type, "must be an object with 'min', 'max', 'pattern' and/or 'allowed'");
                continue;
            }

            var kind = field is null ? SchemaKind.Null : AvroColumns.Unwrap(field.Schema).Kind;
            foreach (var check in rule.Value.EnumerateObject())
            {
                var checkPath = $"{rulePath}.{check.Name}";
                switch (check.Name)
                {
                    case "min" or "max":
                        if (check.Value.ValueKind != JsonValueKind.Number)
                        {
                            ctx.Fail(checkPath, Rules.Type, $"{JsonValues.Describe(check.Value)} is not a number");
                        }
                        else if (field is not null && kind is not (SchemaKind.Int or SchemaKind.Long or SchemaKind.Float or SchemaKind.Double))
                        {
                            ctx.Fail(checkPath, Rules.Type, $"bounds apply to numeric fields; '{rule.Name}' is {field.Schema.DisplayName}");
                        }

                        break;
                    case "pattern":
                        if (check.Value.ValueKind != JsonValueKind.String)
                        {
                            ctx.Fail(checkPath, Rules.Type, $"{JsonValues.Describe(check.Value)} is not a regular expression string");
                            break;
                        }

                        try
                        {
                            _ = new Regex(check.Value.GetString()!, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, PatternTimeout);
                        }
                        catch (ArgumentException e)
                        {
                            ctx.Fail(checkPath, Rules.Pattern, $"'{check.Value.GetString()}' is not a supported regular expression: {e.Message}");
                        }

                        break;
                    case "allowed":
                        if (check.Value.ValueKind != JsonValueKind.Array || check.Value.GetArrayLength() == 0
                            || check.Value.EnumerateArray().Any(a => a.ValueKind is not (JsonValueKind.String or JsonValueKind.Number)))
                        {
                            ctx.Fail(checkPath, Rules.Type, "must be a non-empty list of strings or numbers");
                        }

                        break;
                    default:
                        ctx.Fail(checkPath, Rules.UnknownProperty, "is not a validity check (min, max, pattern, allowed)");
                        break;
                }
            }
        }
    }

    private static void ValidateTimeliness(JsonElement timeliness, RecordSchema record, string path, ValidationContext<DataConfigurationDocument> ctx)
    {
        if (timeliness.ValueKind != JsonValueKind.Object)
        {
            ctx.Fail(path, Rules.Type, "must be an object such as {\"field\": \"recorded_at\", \"max_age_days\": 30}");
            return;
        }

        if (!timeliness.TryGetProperty("field", out var fieldName) || fieldName.ValueKind != JsonValueKind.String)
        {
            ctx.Fail(path + ".field", Rules.Required, "is required: the date or timestamp field to check");
        }
        else if (CheckField(record, fieldName.GetString()!, path + ".field", ctx) is { } field
            && AvroColumns.Unwrap(field.Schema).LogicalType?.Name is not (LogicalType.Date or LogicalType.TimestampMillis or LogicalType.TimestampMicros
                or LogicalType.TimestampNanos or LogicalType.LocalTimestampMillis or LogicalType.LocalTimestampMicros or LogicalType.LocalTimestampNanos))
        {
            ctx.Fail(path + ".field", Rules.Type, $"'{field.Name}' is {field.Schema.DisplayName}; timeliness needs a date or timestamp field");
        }

        if (!timeliness.TryGetProperty("max_age_days", out var age) || !age.TryGetDouble(out var days) || days <= 0)
        {
            ctx.Fail(path + ".max_age_days", Rules.Range, "is required: a positive number of days");
        }

        if (timeliness.TryGetProperty("max_future_minutes", out var future) && (!future.TryGetDouble(out var minutes) || minutes < 0))
        {
            ctx.Fail(path + ".max_future_minutes", Rules.Range, $"{JsonValues.Describe(future)} is not a non-negative number of minutes");
        }

        foreach (var property in timeliness.EnumerateObject())
        {
            if (property.Name is not ("field" or "max_age_days" or "max_future_minutes"))
            {
                ctx.Fail($"{path}.{property.Name}", Rules.UnknownProperty, "is not a timeliness setting (field, max_age_days, max_future_minutes)");
            }
        }
    }
}
