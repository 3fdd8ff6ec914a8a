using CsvHelper;

namespace Ingestion.Csv;

/// <summary>
/// Delimited text (CSV, TSV) through CsvHelper, one record at a time, with what quarantine needs on top: the
/// physical line each record starts on, its raw text, and recovery from the two records that would otherwise take
/// the rest of the file with them. A quoted field still open at the end of the input, and a record longer than
/// <see cref="MaxRecordBytes"/>, are each reported as the line they start on, and reading resumes at the next
/// line (the input is seeked back to it, so it must be seekable).
/// </summary>
public sealed class DelimitedReader : IDisposable
{
    public const int MaxRecordBytes = 1 << 20;

    /// <summary>The most of a refused line kept as its raw text.</summary>
    public const int RawHeadBytes = 4096;

    private readonly Stream _stream;
    private readonly CsvReaderOptions _options;
    private readonly byte[] _head = new byte[RawHeadBytes];
    private CsvReader _reader;
    private long _lineBase;
    private long _offsetBase;
    private long _unterminatedLine;

    public DelimitedReader(Stream stream, char delimiter)
    {
        if (!stream.CanSeek)
        {
            throw new ArgumentException("Delimited input must be seekable, so that reading can resume after a broken record.", nameof(stream));
        }

        _stream = stream;
        _options = new CsvReaderOptions
        {
            Separator = delimiter,
            HasHeader = false,
            SkipEmptyLines = false,
            TrackLineNumbers = true,
            MaxRecordSize = MaxRecordBytes,
            OnMalformedRecord = m =>
            {
                if (m.Reason == CsvMalformedReason.UnterminatedQuote)
                {
                    _unterminatedLine = m.LineNumber;
                }
            },
        };
        _reader = CsvReader.Create(stream, _options, leaveOpen: true);
    }

    /// <summary>Reads the next record; false at the end of the input. The record is valid until the next call.</summary>
    public bool TryRead(out DelimitedRecord record)
    {
        bool read;
        try
        {
            read = _reader.Read();
        }
        catch (CsvFormatException e) when (e.LineNumber > 0)
        {
            // Only a record that outgrows MaxRecordSize while it is still being read throws (malformed quoting is
            // recovered): a long line, or a quote opened on its first line and not closed within the limit.
            record = Resume(e.LineNumber, e.ByteOffset, null);
            return true;
        }

        if (!read)
        {
            record = default;
            return false;
        }

        if (_reader.LineNumber == _unterminatedLine)
        {
            record = Resume(_reader.LineNumber, _reader.ByteOffset, DelimitedProblem.UnterminatedQuote);
            return true;
        }

        var raw = _reader.RawRecord;
        record = raw.Length > MaxRecordBytes
            ? new DelimitedRecord(null, _lineBase + _reader.LineNumber, raw[..RawHeadBytes], DelimitedProblem.TooLong)
            : new DelimitedRecord(this, _lineBase + _reader.LineNumber, raw, DelimitedProblem.None);
        return true;
    }

    /// <summary>
    /// Reports the record at <paramref name="line"/>/<paramref name="offset"/> (relative to the current reader) as the
    /// first line of it, and starts a new reader at the line after.
    /// </summary>
    private DelimitedRecord Resume(long line, long offset, DelimitedProblem? problem)
    {
        var start = _offsetBase + offset;
        _stream.Position = start;
        var (headLength, next, quotes) = ReadLine();
        var absoluteLine = _lineBase + line;
        _reader.Dispose();
        _stream.Position = next;
        _lineBase = absoluteLine;
        _offsetBase = next;
        _unterminatedLine = 0;
        _reader = CsvReader.Create(_stream, _options, leaveOpen: true);
        problem ??= quotes % 2 == 1 ? DelimitedProblem.UnterminatedQuote : DelimitedProblem.TooLong;
        return new DelimitedRecord(null, absoluteLine, _head.AsSpan(0, headLength), problem.Value);
    }

    /// <summary>
    /// Reads the line at the stream's position: its first bytes into the head, where the next line starts (after LF,
    /// CR LF or CR), and how many quotes it holds (odd: a quoted field is still open at its end).
    /// </summary>
    private (int HeadLength, long Next, long Quotes) ReadLine()
    {
        Span<byte> chunk = stackalloc byte[8192];
        var position = _stream.Position;
        var head = 0;
        long quotes = 0;
        var afterCr = false;
        while (true)
        {
            var n = _stream.Read(chunk);
            if (n == 0)
            {
                return (head, position, quotes);
            }

            for (var i = 0; i < n; i++)
            {
                var b = chunk[i];
                if (afterCr)
                {
                    return (head, position + i + (b == (byte)'\n' ? 1 : 0), quotes);
                }

                if (b == (byte)'\n')
                {
                    return (head, position + i + 1, quotes);
                }

                if (b == (byte)'\r')
                {
                    afterCr = true;
                    continue;
                }

                if (b == (byte)'"')
                {
                    quotes++;
                }

                if (head < _head.Length)
                {
                    _head[head++] = b;
                }
            }

            position += n;
        }
    }

    internal int FieldCount => _reader.FieldCount;

    internal ReadOnlySpan<byte> Field(int index) => _reader.GetSpan(index);

    public void Dispose() => _reader.Dispose();
}

public enum DelimitedProblem
{
    None,

    /// <summary>A quoted field was still open at the end of the input (or ran past the record limit).</summary>
    UnterminatedQuote,

    /// <summary>The record was longer than <see cref="DelimitedReader.MaxRecordBytes"/>.</summary>
    TooLong,
}

/// <summary>One record: the line it starts on, its text as it was in the file (without the line break), and its fields.</summary>
public readonly ref struct DelimitedRecord
{
    private readonly DelimitedReader? _reader;

    internal DelimitedRecord(DelimitedReader? reader, long line, ReadOnlySpan<byte> content, DelimitedProblem problem)
    {
        _reader = reader;
        Line = line;
        Content = content;
        Problem = problem;
    }

    /// <summary>The 1-based physical line the record starts on (LF, CR LF and CR each end a line).</summary>
    public long Line { get; }

    /// <summary>The record as it was in the file, without its line break; for a refused record, the first bytes of its first line.</summary>
    public ReadOnlySpan<byte> Content { get; }

    public DelimitedProblem Problem { get; }

    public int FieldCount => _reader?.FieldCount ?? 0;

    public bool IsBlank => Content.Trim(" \t"u8).IsEmpty;

    /// <summary>A field's value: quotes removed and doubled quotes undone.</summary>
    public ReadOnlySpan<byte> this[int index] => _reader!.Field(index);
}
