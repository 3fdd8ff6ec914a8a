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

    private readonly byte[][] _names = converters.Select(c => Encoding.UTF8.GetBytes(c.Name)).ToArray();
    private readonly byte[]?[] _defaults = dataset.Schema.Fields
        .Select(f => f.Default is { } d ? Encoding.UTF8.GetBytes(d.ValueKind == JsonValueKind.String ? d.GetString()! : d.GetRawText()) : null).ToArray();
    private readonly bool[] _hasDefault = dataset.Schema.Fields.Select(f => f.Default is { ValueKind: not JsonValueKind.Null }).ToArray();

    /// <summary>Where each field's value was found in the current line: in the line itself, or unescaped into <see cref="_unescaped"/>.</summary>
    private readonly (Found Kind, int Start, int Length)[] _found = new (Found, int, int)[converters.Length];
    private byte[] _unescaped = new byte[1024];

    private enum Found : byte
    {
        Missing,
        Null,
        InLine,
        Unescaped,
    }

    /// <summary>Reads every line of <paramref name="body"/>: good ones into the buffer's rows, bad ones into its quarantine.</summary>
    public CsvRows.Outcome Produce(ReadOnlySpan<byte> body, BatchBuffer buffer)
    {
        long read = 0, skipped = 0, lineNumber = 0;
        foreach (var range in body.Split((byte)'\n'))
        {
            var line = body[range];
            lineNumber++;
            if (line.Trim(" \t\r"u8).IsEmpty)
            {
                skipped++;
                continue;
            }

            read++;
            var problem = line.Length > MaxLineBytes
                ? RowProblem.Line(ProblemRules.TooLong, $"the line is longer than {MaxLineBytes} bytes")
                : Convert(line, buffer);
            if (problem is { } p)
            {
                buffer.QuarantineRow(lineNumber, p, line.Length > 4096 ? line[..4096] : line);
            }
            else
            {
                buffer.CommitRow();
            }
        }

        return new CsvRows.Outcome(read, skipped, null);
    }

    /// <summary>One event: its members read with Utf8JsonReader (the whole line is validated), each field's value converted from its UTF-8 text.</summary>
    private RowProblem? Convert(ReadOnlySpan<byte> line, BatchBuffer buffer)
    {
        Array.Clear(_found);
        var reader = new Utf8JsonReader(line);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return RowProblem.Line(ProblemRules.Type, "a line is one JSON object (one event)");
            }

            var unescaped = 0;
            var guess = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var field = FieldOf(ref reader, guess);
                guess = field + 1;
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                (Found, int, int) found;
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        reader.Skip();
                        found = (Found.InLine, start, (int)reader.BytesConsumed - start);
                        break;
                    case JsonTokenType.String when reader.ValueIsEscaped:
                        if (_unescaped.Length < unescaped + reader.ValueSpan.Length)
                        {
                            Array.Resize(ref _unescaped, Math.Max(_unescaped.Length * 2, unescaped + reader.ValueSpan.Length));
                        }

                        var length = reader.CopyString(_unescaped.AsSpan(unescaped));
                        found = (Found.Unescaped, unescaped, length);
                        unescaped += length;
                        break;
                    case JsonTokenType.String:
                        found = (Found.InLine, start + 1, reader.ValueSpan.Length);
                        break;
                    case JsonTokenType.Null:
                        found = (Found.Null, 0, 0);
                        break;
                    default:
                        found = (Found.InLine, start, reader.ValueSpan.Length);
                        break;
                }

                if (field >= 0)
                {
                    // A member given twice counts with its last value.
                    _found[field] = found;
                }
            }

            // The rest of the line must be white space.
            while (reader.Read())
            {
            }
        }
        catch (JsonException e)
        {
            return RowProblem.Line(ProblemRules.Type, $"the line is not valid JSON: {e.Message}");
        }

        var rows = buffer.Rows;
        for (var i = 0; i < converters.Length; i++)
        {
            var converter = converters[i];
            var (kind, start, length) = _found[i];
            var problem = kind switch
            {
                Found.InLine => converter.Convert(line.Slice(start, length), rows),
                Found.Unescaped => converter.Convert(_unescaped.AsSpan(start, length), rows),
                Found.Missing when _hasDefault[i] => converter.Convert(_defaults[i], rows),
                _ when converter.Nullable => SetNull(rows, converter.Column),
                _ => new RowProblem(converter.Name, ProblemRules.NotNullable, $"'{converter.Name}' is missing or null, and it is not nullable"),
            };
            if (problem is not null)
            {
                return problem;
            }
        }

        return quality.HasRules ? quality.Check(buffer.Rows) : null;
    }

    private static RowProblem? SetNull(Coredms.RowBatch rows, int column)
    {
        rows.SetNull(column);
        return null;
    }

    /// <summary>The field a member names, or -1: the field after the last one found is tried first (producers tend to keep one order).</summary>
    private int FieldOf(ref Utf8JsonReader reader, int guess)
    {
        if (guess < _names.Length && reader.ValueTextEquals(_names[guess]))
        {
            return guess;
        }

        for (var i = 0; i < _names.Length; i++)
        {
            if (reader.ValueTextEquals(_names[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
