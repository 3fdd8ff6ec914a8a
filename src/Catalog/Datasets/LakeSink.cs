using System.Text.Json;
using Catalog.Validation;
using FluentValidation;
using Mysimbdp.Avro;

namespace Catalog.Datasets;

/// <summary>Parquet compression codecs a lake sink may ask for.</summary>
public enum LakeCompression
{
    Snappy,
    Zstd,
    Gzip,
    None,
}

/// <summary>
/// A dataset's data lake sink (<c>"sinks": [{"type": "lake", "partition_by": "ts", "compression": "zstd"}]</c>): its rows
/// are also written as Parquet files, partitioned by the hour of <see cref="PartitionBy"/> (a timestamp or date field), or
/// of the time the platform received them when it is null. Coredms is always written; a sink comes on top.
/// </summary>
public sealed record LakeSink(string? PartitionBy, LakeCompression Compression)
{
    public const string Type = "lake";

    public static readonly string[] Compressions = ["snappy", "zstd", "gzip", "none"];

    private static readonly string[] Properties = ["type", "partition_by", "compression"];

    /// <summary>The lake sink the (valid) document declares, or null.</summary>
    public static LakeSink? From(JsonElement? sinks)
    {
        if (sinks is not { ValueKind: JsonValueKind.Array } list)
        {
            return null;
        }

        foreach (var sink in list.EnumerateArray())
        {
            if (JsonValues.GetString(sink.GetProperty("type")) == Type)
            {
                return new LakeSink(
                    sink.TryGetProperty("partition_by", out var field) ? JsonValues.GetString(field) : null,
                    sink.TryGetProperty("compression", out var codec) && JsonValues.GetString(codec) is { } c ? Enum.Parse<LakeCompression>(c, ignoreCase: true) : LakeCompression.Snappy);
            }
        }

        return null;
    }

    /// <summary>Whether a field's type can partition a lake by hour: a timestamp (millis or micros, UTC or local) or a date.</summary>
    public static bool CanPartitionBy(Schema schema) => AvroColumns.Unwrap(schema).LogicalType?.Name is LogicalType.TimestampMillis or LogicalType.TimestampMicros
        or LogicalType.LocalTimestampMillis or LogicalType.LocalTimestampMicros or LogicalType.Date;

    public static void Validate<T>(JsonElement? sinks, RecordSchema? record, ValidationContext<T> ctx)
    {
        if (!JsonValues.IsPresent(sinks))
        {
            return;
        }

        if (sinks!.Value.ValueKind != JsonValueKind.Array)
        {
            ctx.Fail("sinks", Rules.Type, $"{JsonValues.Describe(sinks)} is not a list of sinks such as [{{\"type\": \"lake\"}}]");
            return;
        }

        var i = -1;
        var lakes = 0;
        foreach (var sink in sinks.Value.EnumerateArray())
        {
            var path = $"sinks[{++i}]";
            if (sink.ValueKind != JsonValueKind.Object)
            {
                ctx.Fail(path, Rules.Type, $"{JsonValues.Describe(sink)} is not an object such as {{\"type\": \"lake\", \"compression\": \"snappy\"}}");
                continue;
            }

            if (JsonValues.GetString(sink.TryGetProperty("type", out var type) ? type : null) != Type)
            {
                ctx.Fail(path + ".type", JsonValues.IsPresent(type) ? Rules.OneOf : Rules.Required,
                    $"{(JsonValues.IsPresent(type) ? JsonValues.Describe(type) + " is not a sink type" : "is required")}: one of {Type} (coredms is always written)");
            }
            else if (++lakes > 1)
            {
                ctx.Fail(path, Rules.OneOf, "a dataset has at most one lake sink");
            }

            if (sink.TryGetProperty("compression", out var codec) && (JsonValues.GetString(codec) is not { } c || !Compressions.Contains(c)))
            {
                ctx.Fail(path + ".compression", Rules.OneOf, $"{JsonValues.Describe(codec)} is not one of {string.Join(", ", Compressions)}");
            }

            if (sink.TryGetProperty("partition_by", out var by) && JsonValues.IsPresent(by))
            {
                var field = JsonValues.GetString(by) is { } name ? record?.GetField(name) : null;
                if (JsonValues.GetString(by) is null)
                {
                    ctx.Fail(path + ".partition_by", Rules.Type, $"{JsonValues.Describe(by)} is not a field name");
                }
                else if (record is not null && field is null)
                {
                    ctx.Fail(path + ".partition_by", Rules.FieldReference, $"'{by.GetString()}' is not a field of record '{record.Name}'");
                }
                else if (field is not null && !CanPartitionBy(field.Schema))
                {
                    ctx.Fail(path + ".partition_by", Rules.Type,
                        $"'{field.Name}' is a {field.Schema.DisplayName}; the lake is partitioned by the hour of a timestamp (timestamp-millis, timestamp-micros, local-timestamp-*) or date field");
                }
            }

            foreach (var property in sink.EnumerateObject().Where(p => !Properties.Contains(p.Name)))
            {
                ctx.Fail($"{path}.{property.Name}", Rules.UnknownProperty, $"is not a sink property ({string.Join(", ", Properties)})");
            }
        }
    }
}
