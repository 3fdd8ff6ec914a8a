using System.Text;
using System.Text.Json;
using Catalog.Datasets;
using Ingestion.Conversion;

namespace Ingestion.Pipeline;

/// <summary>
/// Reads JSON lines (one JSON object per line, as events arrive) into batches. A field takes the member of the
/// same name: strings by their text, numbers and booleans as written, arrays and objects as JSON; each is then
/// converted and checked like a CSV value. A missing member takes the field's default, or is null. Members the
/// schema does not know are ignored (a producer may be ahead of the schema). A blank line is skipped.
/// </summary>
internal sealed class JsonRows(Dataset dataset, FieldConverter[] converters, QualityChecker quality)
{
    public const int MaxLineBytes = 1 << 20;

    public CsvRows.Outcome Produce(Stream content, BatchBuffer buffer, Func<long, long, bool> keepGoing, Action<long> progress)
    {
        long read = 0, skipped = 0, lineNumber = 0;
        var defaults = dataset.Schema.Fields.Select(f => f.Default is { } d ? Encoding.UTF8.GetBytes(d.ValueKind == JsonValueKind.String ? d.GetString()! : d.GetRawText()) : null).ToArray();
        var hasDefault = dataset.Schema.Fields.Select(f => f.Default is { ValueKind: not JsonValueKind.Null }).ToArray();
        foreach (var line in Lines(content))
        {
            lineNumber++;
            if (line.Span.Trim(" \t\r"u8).IsEmpty)
            {
                skipped++;
                continue;
            }

            read++;
            var problem = line.Length > MaxLineBytes
                ? RowProblem.Line(ProblemRules.TooLong, $"the line is longer than {MaxLineBytes} bytes")
                : Convert(line.Span, buffer, defaults, hasDefault);
            if (problem is { } p)
            {
                buffer.QuarantineRow(lineNumber, p, line.Length > 4096 ? line.Span[..4096] : line.Span);
            }
            else
            {
                buffer.CommitRow();
            }

            if (!keepGoing(read, buffer.Quarantined))
            {
                break;
            }
        }

        progress(read);
        return new CsvRows.Outcome(read, skipped, null);
    }

    private RowProblem? Convert(ReadOnlySpan<byte> line, BatchBuffer buffer, byte[]?[] defaults, bool[] hasDefault)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(line.ToArray());
        }
        catch (JsonException e)
        {
            return RowProblem.Line(ProblemRules.Type, $"the line is not valid JSON: {e.Message}");
        }

        using (json)
        {
            if (json.RootElement.ValueKind != JsonValueKind.Object)
            {
                return RowProblem.Line(ProblemRules.Type, "a line is one JSON object (one event)");
            }

            var rows = buffer.Rows;
            for (var i = 0; i < converters.Length; i++)
            {
                var converter = converters[i];
                RowProblem? problem;
                if (!json.RootElement.TryGetProperty(converter.Name, out var value) || value.ValueKind == JsonValueKind.Null)
                {
                    if (value.ValueKind != JsonValueKind.Null && hasDefault[i])
                    {
                        problem = converter.Convert(defaults[i], rows);
                    }
                    else if (converter.Nullable)
                    {
                        rows.SetNull(converter.Column);
                        problem = null;
                    }
                    else
                    {
                        problem = new RowProblem(converter.Name, ProblemRules.NotNullable, $"'{converter.Name}' is missing or null, and it is not nullable");
                    }
                }
                else
                {
                    problem = converter.Convert(value.ValueKind switch
                    {
                        JsonValueKind.String => Encoding.UTF8.GetBytes(value.GetString()!),
                        JsonValueKind.True => "true"u8.ToArray(),
                        JsonValueKind.False => "false"u8.ToArray(),
                        _ => Encoding.UTF8.GetBytes(value.GetRawText()),
                    }, rows);
                }

                if (problem is not null)
                {
                    return problem;
                }
            }
        }

        return quality.HasRules ? quality.Check(buffer.Rows) : null;
    }

    /// <summary>The content split at line feeds, each line at most a little over <see cref="MaxLineBytes"/> (longer ones are cut and reported).</summary>
    private static IEnumerable<ReadOnlyMemory<byte>> Lines(Stream content)
    {
        var buffer = new byte[1 << 16];
        var line = new MemoryStream();
        int read;
        while ((read = content.Read(buffer, 0, buffer.Length)) > 0)
        {
            var start = 0;
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] != (byte)'\n')
                {
                    continue;
                }

                if (line.Length <= MaxLineBytes)
                {
                    line.Write(buffer, start, i - start);
                }

                yield return line.ToArray();
                line.SetLength(0);
                start = i + 1;
            }

            if (line.Length <= MaxLineBytes)
            {
                line.Write(buffer, start, read - start);
            }
        }

        if (line.Length > 0)
        {
            yield return line.ToArray();
        }
    }
}
