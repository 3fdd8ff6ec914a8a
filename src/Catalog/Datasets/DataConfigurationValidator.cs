using System.Text.Json;
using System.Text.RegularExpressions;
using Mysimbdp.Avro;
using Catalog.Validation;
using Coredms;
using FluentValidation;
using Microsoft.Extensions.Options;

namespace Catalog.Datasets;

/// <summary>
/// The registration rules for a data configuration. Every problem is reported with its JSON path and rule;
/// nothing stops at the first.
/// </summary>
public sealed partial class DataConfigurationValidator : AbstractValidator<DataConfigurationDocument>
{
    /// <summary>The table name the quarantine uses in every tenant keyspace.</summary>
    public const string QuarantineTable = "quarantine";

    /// <summary>
    /// How tenants' schemas are parsed: strictly, and within limits that keep parsing linear and fast whatever a
    /// tenant sends (each one passed is a 400 naming the limit).
    /// </summary>
    public static readonly SchemaParseOptions SchemaOptions = new(Strict: true, new SchemaLimits());

    public static readonly string[] FileTypes = ["csv", "tsv", "avro"];
    public static readonly string[] OnErrorValues = ["continue", "skip_file", "abort"];
    public static readonly string[] IngestionModes = ["batch", "stream", "both"];
    public static readonly string[] CompatibilityLevels = [.. Catalog.Datasets.SchemaRule.Levels];
    public static readonly string[] SourceTypes = ["postgres_cdc"];

    /// <summary>A PostgreSQL table as a source names it: an unquoted identifier, with or without its schema.</summary>
    [GeneratedRegex("^([A-Za-z_][A-Za-z0-9_]{0,62}\\.)?[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    public static partial Regex SourceTable();

    /// <summary>
    /// Dataset names as URLs and the seed use them (<c>speed-tracking-data</c>): letters, digits, '_', '-' and '.',
    /// starting with a letter or digit (so never '.', '..' or a hidden file's name), at most 64 characters. They
    /// name folders and Kafka topics as they are, both of which take these characters; tables are named by the
    /// schema's record, keyspaces by <c>key_space</c>.
    /// </summary>
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    public static partial Regex DatasetName();

    public const string DatasetNameRule = "letters, digits, '_', '-' and '.', starting with a letter or digit, at most 64 characters";

    public DataConfigurationValidator(IOptions<PlatformOptions> platform)
    {
        var cap = platform.Value.MaxFileSizeMb;

        RuleFor(x => x.Name).Custom((value, ctx) =>
        {
            if (JsonValues.IsPresent(value) && (JsonValues.GetString(value) is not { } name || !DatasetName().IsMatch(name)))
            {
                ctx.Fail("name", Rules.Identifier, $"{JsonValues.Describe(value)} is not a dataset name: {DatasetNameRule}");
            }
        });

        RuleFor(x => x.FileType).Custom((value, ctx) => OneOf(ctx, "file_type", value, FileTypes, required: true));
        RuleFor(x => x.OnError).Custom((value, ctx) => OneOf(ctx, "on_error", value, OnErrorValues, required: false));
        RuleFor(x => x.IngestionMode).Custom((value, ctx) => OneOf(ctx, "ingestion_mode", value, IngestionModes, required: false));
        RuleFor(x => x.Compatibility).Custom((value, ctx) => OneOf(ctx, "compatibility", value, CompatibilityLevels, required: false));

        RuleFor(x => x.KeySpace).Custom((value, ctx) =>
        {
            if (!JsonValues.IsPresent(value))
            {
                ctx.Fail("key_space", Rules.Required, "is required: the logical keyspace for this dataset's table, such as 'tracking'");
            }
            else if (JsonValues.GetString(value) is not { } ks || !KeyspaceNames.IsValidIdentifier(ks))
            {
                ctx.Fail("key_space", Rules.Identifier, $"{JsonValues.Describe(value)} is not a valid Cassandra identifier: a letter, then letters, digits or '_', at most 48 characters");
            }
        });

        RuleFor(x => x.FirstRowIsHeader).Custom((value, ctx) =>
        {
            if (JsonValues.IsPresent(value) && !JsonValues.TryGetBoolean(value, out _))
            {
                ctx.Fail("csv.first.row.as.header", Rules.Type, $"{JsonValues.Describe(value)} is not a boolean");
            }
        });

        RuleFor(x => x.IsDefault).Custom((value, ctx) =>
        {
            if (JsonValues.IsPresent(value) && !JsonValues.TryGetBoolean(value, out _))
            {
                ctx.Fail("default", Rules.Type, $"{JsonValues.Describe(value)} is not a boolean");
            }
        });

        RuleFor(x => x.MaxFileSizeMb).Custom((value, ctx) =>
        {
            if (!JsonValues.IsPresent(value))
            {
                ctx.Fail("max_file_size_mb", Rules.Required, $"is required: the largest file accepted, in MB (1 to {cap})");
            }
            else if (!JsonValues.TryGetInteger(value, out var mb) || mb < 1)
            {
                ctx.Fail("max_file_size_mb", Rules.PositiveInteger, $"{JsonValues.Describe(value)} is not a positive whole number of MB");
            }
            else if (mb > cap)
            {
                ctx.Fail("max_file_size_mb", Rules.Range, $"{mb} MB is over the platform's cap of {cap} MB");
            }
        });

        RuleFor(x => x.MaxErrorRatio).Custom((value, ctx) =>
        {
            if (JsonValues.IsPresent(value) && (!JsonValues.TryGetNumber(value, out var ratio) || ratio is < 0 or > 1))
            {
                ctx.Fail("max_error_ratio", Rules.Range, $"{JsonValues.Describe(value)} is not a number from 0 to 1");
            }
        });

        RuleFor(x => x.Delimiter).Custom((value, ctx) =>
        {
            if (JsonValues.IsPresent(value) && (JsonValues.GetString(value) is not { Length: 1 } d || d[0] is '"' or '\r' or '\n'))
            {
                ctx.Fail("delimiter", Rules.Type, $"{JsonValues.Describe(value)} is not a delimiter: one character, not a quote or a line break");
            }
        });

        RuleFor(x => x.Source).Custom((value, ctx) =>
        {
            if (!JsonValues.IsPresent(value))
            {
                return;
            }

            if (value!.Value.ValueKind != JsonValueKind.Object)
            {
                ctx.Fail("source", Rules.Type, $"{JsonValues.Describe(value)} is not an object such as {{\"type\": \"postgres_cdc\", \"connection\": \"shop\", \"table\": \"public.orders\"}}");
                return;
            }

            var source = value.Value;
            OneOf(ctx, "source.type", source.TryGetProperty("type", out var type) ? type : null, SourceTypes, required: true);
            if (!source.TryGetProperty("connection", out var connection) || JsonValues.GetString(connection) is not { } c || !DatasetName().IsMatch(c))
            {
                ctx.Fail("source.connection", Rules.Identifier, $"is required: the name of a connection registered with PUT /tenants/{{tenant}}/connections/{{name}} ({DatasetNameRule})");
            }

            if (!source.TryGetProperty("table", out var table) || JsonValues.GetString(table) is not { } t || !SourceTable().IsMatch(t))
            {
                ctx.Fail("source.table", Rules.Identifier, "is required: the table to capture, as 'schema.table' or 'table' (letters, digits and '_', starting with a letter or '_')");
            }

            foreach (var property in source.EnumerateObject().Where(p => p.Name is not ("type" or "connection" or "table")))
            {
                ctx.Fail("source." + property.Name, Rules.UnknownProperty, "is not a source property (type, connection, table)");
            }
        });

        RuleFor(x => x.Unknown).Custom((unknown, ctx) =>
        {
            foreach (var name in unknown?.Keys ?? Enumerable.Empty<string>())
            {
                ctx.Fail(name, Rules.UnknownProperty, "is not a data configuration property (see the API documentation for the accepted ones)");
            }
        });

        RuleFor(x => x).Custom((document, ctx) => ValidateSchemaAndKeys(document, ctx));
    }

    private static void OneOf(ValidationContext<DataConfigurationDocument> ctx, string path, JsonElement? value, string[] allowed, bool required)
    {
        if (!JsonValues.IsPresent(value))
        {
            if (required)
            {
                ctx.Fail(path, Rules.Required, $"is required: one of {string.Join(", ", allowed)}");
            }
        }
        else if (JsonValues.GetString(value) is not { } s || !allowed.Contains(s))
        {
            ctx.Fail(path, Rules.OneOf, $"{JsonValues.Describe(value)} is not one of {string.Join(", ", allowed)}");
        }
    }

    private static void ValidateSchemaAndKeys(DataConfigurationDocument document, ValidationContext<DataConfigurationDocument> ctx)
    {
        if (!JsonValues.IsPresent(document.Schema))
        {
            ctx.Fail("schema", Rules.Required, "is required: an Avro record schema describing one row");
            return;
        }

        Schema schema;
        try
        {
            schema = Schema.Parse(document.Schema!.Value, SchemaOptions);
        }
        catch (SchemaParseException e)
        {
            foreach (var error in e.Errors)
            {
                ctx.Fail(error.Path.Length == 0 ? "schema" : "schema." + error.Path, Rules.AvroSchema, error.Message);
            }

            return;
        }

        if (schema is not RecordSchema record)
        {
            ctx.Fail("schema", Rules.AvroRecord, $"must be an Avro record (one row), not {schema.DisplayName}");
            return;
        }

        if (record.Name.Length > KeyspaceNames.MaxLength)
        {
            ctx.Fail("schema.name", Rules.Identifier, $"'{record.Name}' is longer than {KeyspaceNames.MaxLength} characters; the record name becomes the table name");
        }

        if (record.Name.Equals(QuarantineTable, StringComparison.OrdinalIgnoreCase))
        {
            ctx.Fail("schema.name", Rules.ReservedName, $"'{record.Name}' is reserved: each keyspace keeps its quarantine in a table of that name");
        }

        if (record.Fields.Count == 0)
        {
            ctx.Fail("schema.fields", Rules.AvroRecord, "a row needs at least one field");
        }

        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < record.Fields.Count; i++)
        {
            var name = record.Fields[i].Name;
            if (!seen.TryAdd(name, name))
            {
                ctx.Fail($"schema.fields[{i}].name", Rules.UniqueColumns, $"'{name}' and '{seen[name]}' differ only in case; column names in coredms ignore case");
            }
        }

        var primaryKey = ValidatePrimaryKey(document, record, ctx);
        ValidatePartitionKey(document, primaryKey, ctx);
        QualityRules.Validate(document.Quality, record, ctx);
        FieldFormats.Validate(document.Formats, record, ctx);
        LakeSink.Validate(document.Sinks, record, ctx);
    }

    private static List<string> ValidatePrimaryKey(DataConfigurationDocument document, RecordSchema record, ValidationContext<DataConfigurationDocument> ctx)
    {
        if (!JsonValues.IsPresent(document.PrimaryKey))
        {
            ctx.Fail("primary_key", Rules.Required, "is required: the list of fields that identify a row");
            return [];
        }

        var keys = JsonValues.GetStrings(document.PrimaryKey);
        if (keys is null || keys.Count == 0)
        {
            ctx.Fail("primary_key", Rules.Type, $"{JsonValues.Describe(document.PrimaryKey)} is not a non-empty list of field names");
            return [];
        }

        for (var i = 0; i < keys.Count; i++)
        {
            var path = $"primary_key[{i}]";
            var field = record.GetField(keys[i]);
            if (field is null)
            {
                ctx.Fail(path, Rules.PrimaryKey, $"'{keys[i]}' is not a field of record '{record.Name}' (fields: {string.Join(", ", record.Fields.Select(f => f.Name))})");
            }
            else if (AvroColumns.IsNullable(field.Schema))
            {
                ctx.Fail(path, Rules.PrimaryKey, $"'{keys[i]}' is nullable ({field.Schema.DisplayName}); a primary key field must always have a value");
            }
            else if (AvroColumns.TypeOf(field.Schema).IsCollection || field.Schema.Kind is SchemaKind.Record or SchemaKind.Array or SchemaKind.Map or SchemaKind.Union)
            {
                ctx.Fail(path, Rules.PrimaryKey, $"'{keys[i]}' is a {field.Schema.DisplayName}; a primary key field must be a single value");
            }
            else if (keys.IndexOf(keys[i]) != i)
            {
                ctx.Fail(path, Rules.PrimaryKey, $"'{keys[i]}' is listed twice");
            }
        }

        return keys;
    }

    private static void ValidatePartitionKey(DataConfigurationDocument document, List<string> primaryKey, ValidationContext<DataConfigurationDocument> ctx)
    {
        if (!JsonValues.IsPresent(document.PartitionKey))
        {
            return;
        }

        var partition = JsonValues.GetStrings(document.PartitionKey);
        if (partition is null || partition.Count == 0)
        {
            ctx.Fail("partition_key", Rules.Type, $"{JsonValues.Describe(document.PartitionKey)} is not a non-empty list of field names");
        }
        else if (primaryKey.Count > 0 && (partition.Count > primaryKey.Count || !partition.SequenceEqual(primaryKey.Take(partition.Count))))
        {
            ctx.Fail("partition_key", Rules.PrimaryKey, $"[{string.Join(", ", partition)}] must be the leading fields of primary_key [{string.Join(", ", primaryKey)}]");
        }
    }
}
