namespace Ingestion.Csv;

/// <summary>
/// Reads delimited text (CSV, TSV) as UTF-8 bytes, one record at a time, without allocating per field:
/// RFC 4180 quoting ("" inside quotes is a quote), line breaks inside quoted fields, LF or CRLF, a UTF-8 BOM.
/// Each record knows the physical line it starts on and its raw bytes, for quarantine. A record longer than
/// <see cref="MaxRecordBytes"/> is cut off at the next line break and reported, so one bad line cannot take
/// unbounded memory; reading goes on from the following line.
/// </summary>
public sealed class CsvReader
{
    public const int MaxRecordBytes = 1 << 20;
    private const byte Quote = (byte)'"';

    private readonly Stream _stream;
    private readonly byte _delimiter;
    private byte[] _buffer = new byte[1 << 20];
    private int _start;
    private int _end;
    private bool _eof;
    private bool _first = true;
    private long _line = 1;
    private readonly List<(int Start, int Length, bool Quoted)> _fields = new(32);
    private byte[] _unquoted = new byte[4096];

    public CsvReader(Stream stream, char delimiter)
    {
        _stream = stream;
        _delimiter = (byte)delimiter;
    }

    /// <summary>Bytes consumed so far (for progress).</summary>
    public long BytesRead { get; private set; }

    /// <summary>
    /// Reads the next record; false at the end of the input. The record's spans stay valid until the next call.
    /// </summary>
    public bool TryRead(out CsvRecord record)
    {
        record = default;
        while (true)
        {
            if (_discarding)
            {
                if (Discard(out record))
                {
                    return true;
                }
            }
            else if (Scan(out var length, out var lines, out var complete))
            {
                var startLine = _line;
                _line += lines;
                var raw = _buffer.AsSpan(_start, length);
                BytesRead += length;
                _start += length;
                record = new CsvRecord(this, startLine, raw, TrimLineEnd(raw), complete ? CsvProblem.None : CsvProblem.UnterminatedQuote);
                return true;
            }
            else if (_end - _start >= MaxRecordBytes)
            {
                // The record is over the limit: drop it up to the next line break (counting that break) and
                // report it once, with its first bytes, so memory stays bounded and nothing goes unreported.
                _discarding = true;
                _discardLine = _line;
                _discardHead = _buffer.AsSpan(_start, 256).ToArray();
                continue;
            }

            if (_eof)
            {
                return false;
            }

            Fill();
        }
    }

    private bool _discarding;
    private long _discardLine;
    private byte[] _discardHead = [];

    private bool Discard(out CsvRecord record)
    {
        record = default;
        var data = _buffer.AsSpan(_start, _end - _start);
        var newline = data.IndexOf((byte)'\n');
        if (newline < 0 && !_eof)
        {
            BytesRead += data.Length;
            _start = _end;
            Fill();
            return false;
        }

        var consumed = newline < 0 ? data.Length : newline + 1;
        BytesRead += consumed;
        _start += consumed;
        _line = _discardLine + 1;
        _discarding = false;
        _fields.Clear();
        record = new CsvRecord(this, _discardLine, _discardHead, _discardHead, CsvProblem.TooLong);
        return true;
    }

    /// <summary>
    /// Finds the end of the record at <c>_start</c>: the line break outside quotes, or the end of the input.
    /// Records the fields it passes. False when more input is needed.
    /// </summary>
    private bool Scan(out int length, out int lines, out bool complete)
    {
        length = 0;
        lines = 0;
        complete = true;
        _fields.Clear();
        var data = _buffer.AsSpan(_start, _end - _start);
        if (data.IsEmpty)
        {
            return false;
        }

        var i = 0;
        var fieldStart = 0;
        var quoted = false;
        var inQuotes = false;
        while (i < data.Length)
        {
            var b = data[i];
            if (inQuotes)
            {
                if (b == Quote)
                {
                    if (i + 1 < data.Length)
                    {
                        if (data[i + 1] == Quote)
                        {
                            i += 2;
                            continue;
                        }

                        inQuotes = false;
                    }
                    else if (!_eof)
                    {
                        return false;
                    }
                    else
                    {
                        inQuotes = false;
                    }
                }
                else if (b == (byte)'\n')
                {
                    lines++;
                }

                i++;
                continue;
            }

            if (b == Quote && i == fieldStart)
            {
                quoted = true;
                inQuotes = true;
                i++;
                continue;
            }

            if (b == _delimiter)
            {
                _fields.Add((fieldStart, i - fieldStart, quoted));
                fieldStart = i + 1;
                quoted = false;
                i++;
                continue;
            }

            if (b == (byte)'\n')
            {
                _fields.Add((fieldStart, TrimCr(data, fieldStart, i) - fieldStart, quoted));
                length = i + 1;
                lines++;
                return true;
            }

            i++;
        }

        if (!_eof)
        {
            return false;
        }

        _fields.Add((fieldStart, TrimCr(data, fieldStart, data.Length) - fieldStart, quoted));
        length = data.Length;
        complete = !inQuotes;
        lines++;
        return true;
    }

    private static int TrimCr(ReadOnlySpan<byte> data, int start, int end) => end > start && data[end - 1] == (byte)'\r' ? end - 1 : end;

    private static ReadOnlySpan<byte> TrimLineEnd(ReadOnlySpan<byte> raw)
    {
        if (raw.EndsWith("\n"u8))
        {
            raw = raw[..^1];
        }

        return raw.EndsWith("\r"u8) ? raw[..^1] : raw;
    }

    private void Fill()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, MaxRecordBytes + (1 << 20)));
        }

        var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
        {
            _eof = true;
            return;
        }

        _end += read;
        if (_first)
        {
            _first = false;
            if (_end >= 3 && _buffer.AsSpan(0, 3).SequenceEqual("\uFEFF"u8))
            {
                _start = 3;
                BytesRead += 3;
            }
        }
    }

    internal int FieldCount => _fields.Count;

    /// <summary>A field's content: quotes removed and doubled quotes undone (into a scratch buffer only when needed).</summary>
    internal ReadOnlySpan<byte> Field(ReadOnlySpan<byte> raw, int index)
    {
        var (start, length, quoted) = _fields[index];
        var span = raw.Slice(start, length);
        if (!quoted)
        {
            return span;
        }

        var close = span.LastIndexOf(Quote);
        var inner = close > 0 ? span[1..close] : span[1..];
        var trailing = close > 0 ? span[(close + 1)..] : [];
        if (inner.IndexOf(Quote) < 0 && trailing.IsEmpty)
        {
            return inner;
        }

        if (_unquoted.Length < span.Length)
        {
            _unquoted = new byte[Math.Max(span.Length, _unquoted.Length * 2)];
        }

        var n = 0;
        for (var i = 0; i < inner.Length; i++)
        {
            _unquoted[n++] = inner[i];
            if (inner[i] == Quote && i + 1 < inner.Length && inner[i + 1] == Quote)
            {
                i++;
            }
        }

        trailing.CopyTo(_unquoted.AsSpan(n));
        return _unquoted.AsSpan(0, n + trailing.Length);
    }
}

public enum CsvProblem
{
    None,

    /// <summary>A quoted field was still open at the end of the input.</summary>
    UnterminatedQuote,

    /// <summary>The record was longer than <see cref="CsvReader.MaxRecordBytes"/>.</summary>
    TooLong,
}

/// <summary>One record: where it starts, its raw bytes, and its fields.</summary>
public readonly ref struct CsvRecord
{
    private readonly CsvReader? _reader;

    internal CsvRecord(CsvReader reader, long line, ReadOnlySpan<byte> raw, ReadOnlySpan<byte> content, CsvProblem problem)
    {
        _reader = reader;
        Line = line;
        Raw = raw;
        Content = content;
        Problem = problem;
    }

    /// <summary>The 1-based physical line the record starts on.</summary>
    public long Line { get; }

    /// <summary>The record as it was in the file, with its line break.</summary>
    public ReadOnlySpan<byte> Raw { get; }

    /// <summary>The record without its line break.</summary>
    public ReadOnlySpan<byte> Content { get; }

    public CsvProblem Problem { get; }

    public int FieldCount => Problem == CsvProblem.TooLong ? 0 : _reader!.FieldCount;

    public bool IsBlank => Content.Trim(" \t"u8).IsEmpty;

    public ReadOnlySpan<byte> this[int index] => _reader!.Field(Raw, index);
}
