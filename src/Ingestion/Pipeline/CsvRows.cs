using System.Text;
using Catalog.Datasets;
using Ingestion.Conversion;
using Ingestion.Csv;

namespace Ingestion.Pipeline;

/// <summary>
/// Reads a CSV/TSV file into batches: maps the header to the schema's fields (by name, ignoring case; by
/// position without a header), skips blank lines and repeated header lines (counted), and sends every row
/// that does not fit to quarantine with its line, column and reason, including lines with the wrong number
/// of fields and data glued onto a header line.
/// </summary>
internal sealed class CsvRows(Dataset dataset, FieldConverter[] converters, QualityChecker quality)
{
    /// <summary>Counts of the pass, and a file-level error that stopped it (null when it ran through).</summary>
    /// <summary>What a pass read: records, lines skipped, the error that stopped it, and the header line as it was in the file (quarantine replay parses the file's quarantined lines under it).</summary>
    public sealed record Outcome(long Read, long Skipped, string? Error, string? Header = null);

    public Outcome Produce(Stream content, BatchBuffer buffer, Func<long, long, bool> keepGoing, Action<long> progress)
    {
        using var reader = new DelimitedReader(content, dataset.Delimiter);
        long read = 0, skipped = 0;
        byte[][]? header = null;
        string? headerLine = null;
        int[] fieldOfColumn;
        if (dataset.FirstRowIsHeader)
        {
            DelimitedRecord first = default;
            var found = false;
            while (reader.TryRead(out first))
            {
                if (!first.IsBlank)
                {
                    found = true;
                    break;
                }

                skipped++;
            }

            if (!found)
            {
                return new Outcome(0, skipped, null);
            }

            headerLine = Encoding.UTF8.GetString(first.Content);
            header = new byte[first.FieldCount][];
            for (var i = 0; i < header.Length; i++)
            {
                header[i] = first[i].Trim(" "u8).ToArray();
            }

            var (mapping, error) = MapHeader(header);
            if (error is not null)
            {
                return new Outcome(0, skipped, error, headerLine);
            }

            fieldOfColumn = mapping!;
        }
        else
        {
            fieldOfColumn = Enumerable.Range(0, converters.Length).ToArray();
        }

        var expectedFields = header?.Length ?? converters.Length;
        while (reader.TryRead(out var record))
        {
            if (record.IsBlank)
            {
                skipped++;
                continue;
            }

            if (record.Problem == DelimitedProblem.None && header is not null && IsHeader(record, header))
            {
                skipped++;
                continue;
            }

            read++;
            var problem = record.Problem switch
            {
                DelimitedProblem.TooLong => RowProblem.Line(ProblemRules.TooLong,
                    $"the record is longer than {DelimitedReader.MaxRecordBytes} bytes; reading resumed at the next line"),
                DelimitedProblem.UnterminatedQuote => RowProblem.Line(ProblemRules.UnterminatedQuote,
                    $"a quoted field opened on this line is not closed before the end of the file or within {DelimitedReader.MaxRecordBytes} bytes; reading resumed at the next line"),
                _ when record.Content.IndexOf((byte)0) >= 0 => RowProblem.Line(ProblemRules.Encoding, "the line has a NUL byte: binary data, not text"),
                _ when record.FieldCount != expectedFields => FieldCountProblem(record, header, expectedFields),
                _ => Convert(record, fieldOfColumn, buffer),
            };

            if (problem is { } p)
            {
                buffer.QuarantineRow(record.Line, p, record.Content);
            }
            else
            {
                buffer.CommitRow();
            }

            if ((read & 0xFFFF) == 0)
            {
                progress(read);
            }

            if (!keepGoing(read, buffer.Quarantined))
            {
                break;
            }
        }

        return new Outcome(read, skipped, null, headerLine);
    }

    private RowProblem? Convert(DelimitedRecord record, int[] fieldOfColumn, BatchBuffer buffer)
    {
        var rows = buffer.Rows;
        for (var c = 0; c < fieldOfColumn.Length; c++)
        {
            var field = fieldOfColumn[c];
            if (field >= 0 && converters[field].Convert(record[c], rows) is { } problem)
            {
                return problem;
            }
        }

        return quality.HasRules ? quality.Check(rows) : null;
    }

    /// <summary>Columns to fields; fields the header lacks stay null, which only nullable fields allow.</summary>
    private (int[]? Mapping, string? Error) MapHeader(byte[][] header)
    {
        var mapping = new int[header.Length];
        var seen = new bool[converters.Length];
        var unknown = new List<string>();
        for (var c = 0; c < header.Length; c++)
        {
            var name = Encoding.UTF8.GetString(header[c]);
            var field = Array.FindIndex(converters, f => f.Name == name);
            if (field < 0)
            {
                field = Array.FindIndex(converters, f => f.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
            }

            if (field >= 0 && !seen[field])
            {
                seen[field] = true;
                mapping[c] = field;
            }
            else
            {
                mapping[c] = -1;
                unknown.Add(name);
            }
        }

        var missing = converters.Where((f, i) => !seen[i] && !f.Nullable).Select(f => f.Name).ToList();
        return missing.Count > 0
            ? (null, $"The header lacks column(s) {string.Join(", ", missing)}, which the schema requires (not nullable)." +
                (unknown.Count > 0 ? $" It has column(s) the schema does not know: {string.Join(", ", unknown.Take(10))}." : ""))
            : (mapping, null);
    }

    private static bool IsHeader(DelimitedRecord record, byte[][] header)
    {
        if (record.FieldCount != header.Length)
        {
            return false;
        }

        for (var i = 0; i < header.Length; i++)
        {
            if (!Ascii.EqualsIgnoreCase(record[i].Trim(" "u8), header[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static RowProblem FieldCountProblem(DelimitedRecord record, byte[][]? header, int expected)
    {
        if (header is not null && record.FieldCount > expected)
        {
            var glued = true;
            for (var i = 0; i < expected - 1 && glued; i++)
            {
                glued = Ascii.EqualsIgnoreCase(record[i].Trim(" "u8), header[i]);
            }

            if (glued)
            {
                return RowProblem.Line(ProblemRules.GluedHeader,
                    $"a data row is glued to a header line ({record.FieldCount} fields where the header has {expected}); the line break between them is missing");
            }
        }

        return RowProblem.Line(ProblemRules.FieldCount, $"the line has {record.FieldCount} fields; the {(header is null ? "schema" : "header")} has {expected}");
    }
}
