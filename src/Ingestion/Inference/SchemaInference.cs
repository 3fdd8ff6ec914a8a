using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Catalog.Datasets;
using Ingestion.Csv;
using Mysimbdp.Avro;

namespace Ingestion.Inference;

/// <summary>What inference found for one column: the field it proposes and the evidence.</summary>
public sealed record InferredField(string Field, string Column, string Type, bool Nullable, long Values, long Blanks, IReadOnlyList<string> Examples);

/// <summary>A proposed data configuration (seed format, ready to edit and PUT) and what it rests on.</summary>
public sealed record Inference(JsonObject Configuration, IReadOnlyList<InferredField> Fields, long RowsSampled, IReadOnlyList<string> Notes);

/// <summary>
/// Proposes a data configuration from a sample file, as Snowflake's INFER_SCHEMA and <c>tb datasource analyze</c> do:
/// for CSV/TSV, each column's type is the narrowest that every non-blank value of the first
/// <see cref="SampleRows"/> rows parses as (boolean, int, long, double, date, time, timestamp, else string), in
/// the forms ingestion accepts, and a column with blanks is nullable; an Avro file's own schema is proposed as it
/// is. The key proposed is the first column, or pair of columns, without blanks whose values are unique in the
/// sample, preferring names that end in "id".
/// </summary>
public static partial class SchemaInference
{
    public const int SampleRows = 10_000;

    private static readonly string[] DateForms = ["yyyy-MM-dd"];
    private static readonly string[] TimeForms = ["HH:mm:ss", "HH:mm:ss.FFF", "HH:mm"];

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex AvroName();

    [GeneratedRegex("[^A-Za-z0-9_]")]
    private static partial Regex NotNameCharacter();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")]
    private static partial Regex TimestampForm();

    /// <summary>The candidate types, narrowest first; a column keeps those every value so far parses as.</summary>
    private sealed class Column(string header)
    {
        public string Header { get; } = header;

        public long Values { get; set; }

        public long Blanks { get; set; }

        public List<string> Examples { get; } = [];

        public bool Boolean { get; set; } = true;

        public bool Int { get; set; } = true;

        public bool Long { get; set; } = true;

        public bool Double { get; set; } = true;

        public bool Date { get; set; } = true;

        public bool Time { get; set; } = true;

        public bool Timestamp { get; set; } = true;

        public void See(string value)
        {
            if (value.Length == 0)
            {
                Blanks++;
                return;
            }

            Values++;
            if (Examples.Count < 3 && !Examples.Contains(value))
            {
                Examples.Add(value);
            }

            Boolean &= value.Equals("true", StringComparison.OrdinalIgnoreCase) || value.Equals("false", StringComparison.OrdinalIgnoreCase);
            Int &= int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
            Long &= long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
            Double &= double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
            Date &= DateOnly.TryParseExact(value, DateForms, CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
            Time &= TimeOnly.TryParseExact(value, TimeForms, CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
            Timestamp &= TimestampForm().IsMatch(value) && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _);
        }

        public string Type => Values == 0 ? "string"
            : Boolean ? "boolean" : Int ? "int" : Long ? "long" : Double ? "double" : Date ? "date" : Time ? "time" : Timestamp ? "timestamp" : "string";

        public JsonNode Avro() => Type switch
        {
            "date" => new JsonObject { ["type"] = "int", ["logicalType"] = "date" },
            "time" => new JsonObject { ["type"] = "int", ["logicalType"] = "time-millis" },
            "timestamp" => new JsonObject { ["type"] = "long", ["logicalType"] = "timestamp-millis" },
            var primitive => JsonValue.Create(primitive),
        };
    }

    /// <summary>Infers from CSV/TSV text; the first row is a header unless it reads as data of the types found below it.</summary>
    public static Inference FromDelimited(Stream stream, FileType fileType, string dataset, string keySpace)
    {
        var rows = new List<string[]>();
        using (var reader = new DelimitedReader(stream, fileType == FileType.Tsv ? '\t' : ','))
        {
            while (rows.Count <= SampleRows && reader.TryRead(out var record))
            {
                if (record.Problem == DelimitedProblem.None && !record.IsBlank)
                {
                    var values = new string[record.FieldCount];
                    for (var i = 0; i < values.Length; i++)
                    {
                        values[i] = Encoding.UTF8.GetString(record[i]).Trim();
                    }

                    rows.Add(values);
                }
            }
        }

        var notes = new List<string>();
        if (rows.Count == 0)
        {
            throw new InvalidDataException("The sample has no rows to infer from.");
        }

        var width = rows[0].Length;
        var data = rows.Skip(1).Where(r => r.Length == width).ToList();
        if (rows.Count - 1 > data.Count)
        {
            notes.Add($"{rows.Count - 1 - data.Count} rows have another number of fields than the first row's {width} and were left out.");
        }

        var columns = Enumerable.Range(0, width).Select(i => new Column(rows[0][i])).ToArray();
        foreach (var row in data)
        {
            for (var i = 0; i < width; i++)
            {
                columns[i].See(row[i]);
            }
        }

        // The first row is data, not a header, when every one of its values fits its column's type and some type is not text.
        var headerless = columns.Any(c => c.Type != "string") && columns.All(c => Fits(c, c.Header));
        if (headerless)
        {
            var first = rows[0];
            columns = Enumerable.Range(0, width).Select(i => new Column($"column_{i + 1}")).ToArray();
            foreach (var row in data.Prepend(first))
            {
                for (var i = 0; i < width; i++)
                {
                    columns[i].See(row[i]);
                }
            }

            data.Insert(0, first);
            notes.Add("The first row reads as data of the types found, so the file is taken to have no header; name the fields.");
        }

        var names = FieldNames(columns.Select(c => c.Header).ToList(), notes, headerless);
        var fields = new JsonArray();
        var inferred = new List<InferredField>();
        for (var i = 0; i < width; i++)
        {
            var nullable = columns[i].Blanks > 0;
            var field = new JsonObject { ["name"] = names[i], ["type"] = nullable ? new JsonArray("null", columns[i].Avro()) : columns[i].Avro() };
            if (nullable)
            {
                field["default"] = null;
            }

            fields.Add(field);
            inferred.Add(new InferredField(names[i], columns[i].Header, columns[i].Type, nullable, columns[i].Values, columns[i].Blanks, columns[i].Examples));
        }

        var key = Key(names, i => columns[i].Blanks == 0, data.Select(r => (IReadOnlyList<string>)r).ToList(), notes);
        var configuration = new JsonObject
        {
            ["name"] = dataset,
            ["file_type"] = fileType == FileType.Tsv ? "tsv" : "csv",
            ["key_space"] = keySpace,
            ["csv.first.row.as.header"] = !headerless,
            ["schema"] = new JsonObject { ["type"] = "record", ["name"] = RecordName(dataset), ["fields"] = fields },
            ["primary_key"] = new JsonArray([.. key.Select(k => JsonValue.Create(k))]),
            ["max_file_size_mb"] = 1024,
        };
        if (data.Count >= SampleRows)
        {
            notes.Add($"Only the first {SampleRows} rows were read.");
        }

        return new Inference(configuration, inferred, data.Count, notes);
    }

    /// <summary>Proposes an Avro container file's own schema, and a key from its records.</summary>
    public static Inference FromAvro(Stream stream, string dataset, string keySpace)
    {
        using var container = ContainerReader.Open(stream);
        if (container.WriterSchema is not RecordSchema record)
        {
            throw new InvalidDataException($"The file's schema is a {container.WriterSchema.DisplayName}, not a record: a dataset's rows are records.");
        }

        var reader = new DatumReader(record);
        var rows = new List<IReadOnlyList<string>>();
        var notes = new List<string>();
        try
        {
            while (rows.Count < SampleRows && container.TryReadBlock(out var count, out var block))
            {
                var decoder = new BinaryDecoder(block.Span);
                for (long i = 0; i < count && rows.Count < SampleRows; i++)
                {
                    var values = ((GenericRecord)reader.Read(ref decoder)!).Values;
                    rows.Add(values.Select(v => v is null ? "" : v is GenericRecord or System.Collections.IEnumerable and not string ? "\u0000" : Convert.ToString(v, CultureInfo.InvariantCulture) ?? "").ToList());
                }
            }
        }
        catch (AvroDataException e)
        {
            notes.Add($"Reading stopped after {rows.Count} records: {e.Message}");
        }

        var names = record.Fields.Select(f => f.Name).ToList();
        var key = Key(names, i => rows.All(r => r[i].Length > 0 && r[i] != "\u0000"), rows, notes);
        var fields = record.Fields.Select(f => new InferredField(f.Name, f.Name, f.Schema.DisplayName, AvroColumns.IsNullable(f.Schema),
            rows.Count(r => r[f.Position].Length > 0), rows.Count(r => r[f.Position].Length == 0), [])).ToList();
        var configuration = new JsonObject
        {
            ["name"] = dataset,
            ["file_type"] = "avro",
            ["key_space"] = keySpace,
            ["schema"] = JsonNode.Parse(record.ToJson()),
            ["primary_key"] = new JsonArray([.. key.Select(k => JsonValue.Create(k))]),
            ["max_file_size_mb"] = 1024,
        };
        return new Inference(configuration, fields, rows.Count, notes);
    }

    private static bool Fits(Column column, string value) => value.Length > 0 && column.Type switch
    {
        "boolean" => bool.TryParse(value, out _),
        "int" => int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
        "long" => long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
        "double" => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _),
        "date" => DateOnly.TryParseExact(value, DateForms, CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
        "time" => TimeOnly.TryParseExact(value, TimeForms, CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
        "timestamp" => TimestampForm().IsMatch(value),
        _ => true,
    };

    /// <summary>
    /// Field names from the header: as they are when they are Avro names (ingestion matches the header by name),
    /// else made into one, with a note that the column then needs renaming in the file.
    /// </summary>
    private static List<string> FieldNames(List<string> headers, List<string> notes, bool generated)
    {
        var names = new List<string>();
        foreach (var header in headers)
        {
            var name = AvroName().IsMatch(header) ? header : NotNameCharacter().Replace(header, "_") is var cleaned && cleaned.Length > 0 && !char.IsDigit(cleaned[0]) ? cleaned : "_" + cleaned;
            if (names.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                name = $"{name}_{names.Count + 1}";
            }

            if (name != header && !generated)
            {
                notes.Add($"Column '{header}' is not an Avro name; the field is '{name}', and ingestion matches header names to fields, so the file's header must say '{name}'.");
            }

            names.Add(name);
        }

        return names;
    }

    /// <summary>
    /// A column, else a pair of columns, without blanks and unique in the sample: among the columns named like ids
    /// ("id", "..._id", "...Id") first, then among all, in the file's order.
    /// </summary>
    private static List<string> Key(List<string> names, Func<int, bool> complete, List<IReadOnlyList<string>> rows, List<string> notes)
    {
        var candidates = Enumerable.Range(0, names.Count).Where(complete).ToList();
        bool Unique(params int[] columns) => rows.Select(r => string.Join('\u0001', columns.Select(c => r[c]))).Distinct().Count() == rows.Count;
        foreach (var tier in new[] { candidates.Where(i => names[i].EndsWith("id", StringComparison.OrdinalIgnoreCase)).ToList(), candidates })
        {
            if (rows.Count == 0)
            {
                break;
            }

            if (tier.FirstOrDefault(i => Unique(i), -1) is var single and >= 0)
            {
                return [names[single]];
            }

            foreach (var (first, second) in tier.SelectMany((a, x) => tier.Skip(x + 1).Select(b => (a, b))))
            {
                if (Unique(first, second))
                {
                    return [names[first], names[second]];
                }
            }
        }

        notes.Add("No column or pair of columns without blanks is unique in the sample: choose the primary key (rows with the same key replace each other).");
        return [names[candidates.FirstOrDefault()]];
    }

    /// <summary>A record name from the dataset's name: its words in PascalCase.</summary>
    private static string RecordName(string dataset)
    {
        var words = NotNameCharacter().Replace(dataset, "_").Split('_', StringSplitOptions.RemoveEmptyEntries);
        var name = string.Concat(words.Select(w => char.ToUpperInvariant(w[0]) + w[1..]));
        return name.Length == 0 || char.IsDigit(name[0]) ? "Row" + name : name;
    }
}
