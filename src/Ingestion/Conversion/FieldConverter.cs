using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Mysimbdp.Avro;
using Catalog.Datasets;
using Coredms;

namespace Ingestion.Conversion;

/// <summary>
/// Turns the text of one field into its column's cell, by the field's Avro type: range-checked integers,
/// floats, booleans (true/false, 1/0, yes/no, y/n, t/f), strings (valid UTF-8), enum symbols, ISO dates,
/// times and timestamps (and the dataset's extra <c>formats</c>), uuids, decimals within precision and scale,
/// base64 bytes, and JSON for arrays, maps and records. An empty field is null where the type is nullable.
/// The common types parse straight from the UTF-8 bytes with no allocation.
/// </summary>
public sealed class FieldConverter
{
    private enum Kind
    {
        Boolean, Int, Long, Float, Double, String, Enum, Date, Time, Timestamp, Uuid, Decimal, Bytes, Fixed, Json,
    }

    private static readonly DateOnly Epoch = new(1970, 1, 1);
    private readonly Kind _kind;
    private readonly byte[][] _symbols = [];
    private readonly string[] _formats;
    private readonly long _timestampUnitsPerSecond = 1000;
    private readonly int _precision;
    private readonly int _scale;
    private readonly int _fixedSize;
    private readonly string _typeName;
    private readonly Schema _schema;

    public FieldConverter(Field field, int column, IReadOnlyDictionary<string, string[]> formats)
    {
        Name = field.Name;
        Column = column;
        Nullable = AvroColumns.IsNullable(field.Schema);
        _schema = AvroColumns.Unwrap(field.Schema);
        _formats = formats.TryGetValue(field.Name, out var f) ? f : [];
        _typeName = _schema.LogicalType?.Name ?? _schema.DisplayName;
        switch (_schema.LogicalType?.Name)
        {
            case LogicalType.Date: _kind = Kind.Date; return;
            case LogicalType.TimeMillis or LogicalType.TimeMicros: _kind = Kind.Time; return;
            case LogicalType.TimestampMillis or LogicalType.LocalTimestampMillis: _kind = Kind.Timestamp; return;
            case LogicalType.TimestampMicros or LogicalType.LocalTimestampMicros: _kind = Kind.Timestamp; _timestampUnitsPerSecond = 1_000_000; return;
            case LogicalType.TimestampNanos or LogicalType.LocalTimestampNanos: _kind = Kind.Timestamp; _timestampUnitsPerSecond = 1_000_000_000; return;
            case LogicalType.Uuid: _kind = Kind.Uuid; return;
            case LogicalType.Decimal: _kind = Kind.Decimal; _precision = _schema.LogicalType.Precision; _scale = _schema.LogicalType.Scale; return;
        }

        _kind = _schema switch
        {
            EnumSchema e => Kind.Enum,
            FixedSchema => Kind.Fixed,
            UnionSchema or RecordSchema or ArraySchema or MapSchema => Kind.Json,
            _ => _schema.Kind switch
            {
                SchemaKind.Boolean => Kind.Boolean,
                SchemaKind.Int => Kind.Int,
                SchemaKind.Long => Kind.Long,
                SchemaKind.Float => Kind.Float,
                SchemaKind.Double => Kind.Double,
                SchemaKind.Bytes => Kind.Bytes,
                _ => Kind.String,
            },
        };
        if (_schema is EnumSchema en)
        {
            _symbols = en.Symbols.Select(Encoding.UTF8.GetBytes).ToArray();
        }

        if (_schema is FixedSchema fx)
        {
            _fixedSize = fx.Size;
        }
    }

    public string Name { get; }

    public int Column { get; }

    public bool Nullable { get; }

    /// <summary>Sets the cell from the field's text; returns the problem, or null when the value is good.</summary>
    public RowProblem? Convert(ReadOnlySpan<byte> text, RowBatch row)
    {
        if (text.IsEmpty && _kind != Kind.String)
        {
            if (Nullable)
            {
                row.SetNull(Column);
                return null;
            }

            return Problem(ProblemRules.NotNullable, $"the value is empty, and {_typeName} field '{Name}' is not nullable");
        }

        if (text.IsEmpty && Nullable)
        {
            row.SetNull(Column);
            return null;
        }

        switch (_kind)
        {
            case Kind.Int:
                if (Utf8Parser.TryParse(text, out long i, out var used) && used == text.Length)
                {
                    if (i is < int.MinValue or > int.MaxValue)
                    {
                        return DoesNotFit(text, "int", "-2147483648 to 2147483647");
                    }

                    row.SetInt64(Column, i);
                    return null;
                }

                return IsInteger(text) ? DoesNotFit(text, "int", "-2147483648 to 2147483647") : NotA(text, "an int");
            case Kind.Long:
                if (Utf8Parser.TryParse(text, out long l, out used) && used == text.Length)
                {
                    row.SetInt64(Column, l);
                    return null;
                }

                return IsInteger(text) ? DoesNotFit(text, "long", "-9223372036854775808 to 9223372036854775807") : NotA(text, "a long");
            case Kind.Float or Kind.Double:
                if (!TryParseDouble(text, out var d))
                {
                    return NotA(text, "a number");
                }

                if (_kind == Kind.Float && double.IsFinite(d) && Math.Abs(d) > float.MaxValue)
                {
                    return DoesNotFit(text, "float", "±3.4e38");
                }

                row.SetDouble(Column, _kind == Kind.Float ? (float)d : d);
                return null;
            case Kind.Boolean:
                return TryParseBoolean(text, out var b) ? Set(row, b ? 1 : 0) : NotA(text, "a boolean (true/false, 1/0, yes/no, y/n, t/f)");
            case Kind.String:
                if (!Utf8.IsValid(text))
                {
                    return Problem(ProblemRules.Encoding, "the value is not valid UTF-8");
                }

                row.SetBytes(Column, text);
                return null;
            case Kind.Enum:
                foreach (var symbol in _symbols)
                {
                    if (text.SequenceEqual(symbol))
                    {
                        row.SetBytes(Column, text);
                        return null;
                    }
                }

                return Problem(ProblemRules.Type, $"'{Show(text)}' is not one of {string.Join(", ", ((EnumSchema)_schema).Symbols)}");
            case Kind.Date:
                return TryParseDate(text, out var date) ? Set(row, date.DayNumber - Epoch.DayNumber) : NotA(text, "a date (yyyy-MM-dd" + Extra() + ")");
            case Kind.Time:
                return TryParseTime(text, out var time) ? Set(row, time.Ticks * 100) : NotA(text, "a time (HH:mm:ss[.fff]" + Extra() + ")");
            case Kind.Timestamp:
                if (!TryParseTimestamp(text, out var instant))
                {
                    return NotA(text, "a timestamp (ISO 8601, such as 2026-03-01T08:00:00Z" + Extra() + ")");
                }

                var ticks = instant.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
                row.SetInt64(Column, _timestampUnitsPerSecond switch
                {
                    1000 => ticks / TimeSpan.TicksPerMillisecond,
                    1_000_000 => ticks / 10,
                    _ => ticks * 100,
                });
                return null;
            case Kind.Uuid:
                var s = Encoding.UTF8.GetString(text);
                if (!Guid.TryParse(s, out var guid))
                {
                    return NotA(text, "a UUID");
                }

                row.SetText(Column, guid.ToString("D"));
                return null;
            case Kind.Decimal:
                return ConvertDecimal(text, row);
            case Kind.Bytes or Kind.Fixed:
                var bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(text.Length)];
                if (Base64.DecodeFromUtf8(text, bytes, out _, out var written) != System.Buffers.OperationStatus.Done)
                {
                    return NotA(text, "base64 data");
                }

                if (_kind == Kind.Fixed && written != _fixedSize)
                {
                    return Problem(ProblemRules.Type, $"the value decodes to {written} bytes; fixed field '{Name}' holds {_fixedSize}");
                }

                row.SetBytes(Column, bytes.AsSpan(0, written));
                return null;
            default:
                return ConvertJson(text, row);
        }
    }

    private RowProblem? Set(RowBatch row, long value)
    {
        row.SetInt64(Column, value);
        return null;
    }

    private RowProblem Problem(string rule, string message) => new(Name, rule, message);

    private RowProblem DoesNotFit(ReadOnlySpan<byte> text, string type, string range) =>
        Problem(ProblemRules.Range, $"'{Show(text)}' does not fit {type} ({range})");

    private RowProblem NotA(ReadOnlySpan<byte> text, string what) => Problem(ProblemRules.Type, $"'{Show(text)}' is not {what}");

    private string Extra() => _formats.Length == 0 ? "" : ", or " + string.Join(", ", _formats);

    /// <summary>The value as text for a message, cut short if long.</summary>
    internal static string Show(ReadOnlySpan<byte> text) =>
        text.Length <= 64 ? Encoding.UTF8.GetString(text) : Encoding.UTF8.GetString(text[..64]) + "…";

    private static bool IsInteger(ReadOnlySpan<byte> text)
    {
        var digits = text is [(byte)'-' or (byte)'+', ..] ? text[1..] : text;
        return !digits.IsEmpty && digits.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0;
    }

    private static bool TryParseDouble(ReadOnlySpan<byte> text, out double value)
    {
        if (Utf8Parser.TryParse(text, out value, out var used) && used == text.Length)
        {
            return true;
        }

        return double.TryParse(Encoding.UTF8.GetString(text), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    private static bool TryParseBoolean(ReadOnlySpan<byte> text, out bool value)
    {
        Span<byte> lower = stackalloc byte[5];
        value = false;
        if (text.Length > 5)
        {
            return false;
        }

        for (var i = 0; i < text.Length; i++)
        {
            lower[i] = (byte)(text[i] | 0x20);
        }

        var t = lower[..text.Length];
        if (t.SequenceEqual("true"u8) || t.SequenceEqual("1"u8) || t.SequenceEqual("yes"u8) || t.SequenceEqual("y"u8) || t.SequenceEqual("t"u8))
        {
            value = true;
            return true;
        }

        return t.SequenceEqual("false"u8) || t.SequenceEqual("0"u8) || t.SequenceEqual("no"u8) || t.SequenceEqual("n"u8) || t.SequenceEqual("f"u8);
    }

    private bool TryParseDate(ReadOnlySpan<byte> text, out DateOnly date)
    {
        date = default;
        if (text.Length == 10 && text[4] == '-' && text[7] == '-'
            && TryDigits(text[..4], out var y) && TryDigits(text.Slice(5, 2), out var m) && TryDigits(text.Slice(8, 2), out var day)
            && m is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(Math.Max(1, y), m) && y >= 1)
        {
            date = new DateOnly(y, m, day);
            return true;
        }

        return _formats.Length > 0 && DateOnly.TryParseExact(Encoding.UTF8.GetString(text), _formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out date);
    }

    private bool TryParseTime(ReadOnlySpan<byte> text, out TimeOnly time)
    {
        time = default;
        if (text.Length >= 8 && text[2] == ':' && text[5] == ':'
            && TryDigits(text[..2], out var h) && TryDigits(text.Slice(3, 2), out var m) && TryDigits(text.Slice(6, 2), out var s)
            && h < 24 && m < 60 && s < 60)
        {
            long ticks = 0;
            if (text.Length > 8)
            {
                var fraction = text[9..];
                if (text[8] != '.' || fraction.IsEmpty || fraction.Length > 7 || !TryDigits(fraction, out var f))
                {
                    return TryFormats(text, out time);
                }

                ticks = f * (long)Math.Pow(10, 7 - fraction.Length);
            }

            time = new TimeOnly(new TimeSpan(h, m, s).Ticks + ticks);
            return true;
        }

        return TryFormats(text, out time);
    }

    private bool TryFormats(ReadOnlySpan<byte> text, out TimeOnly time)
    {
        time = default;
        return _formats.Length > 0 && TimeOnly.TryParseExact(Encoding.UTF8.GetString(text), _formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out time);
    }

    private bool TryParseTimestamp(ReadOnlySpan<byte> text, out DateTimeOffset instant)
    {
        var s = Encoding.UTF8.GetString(text);
        const DateTimeStyles styles = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        if (_formats.Length > 0 && DateTimeOffset.TryParseExact(s, _formats, CultureInfo.InvariantCulture, styles, out instant))
        {
            return true;
        }

        // ISO 8601 only: a year first, so that locale-style dates such as 03/01/2026 are not guessed at.
        instant = default;
        return s.Length >= 10 && char.IsAsciiDigit(s[0]) && s[4] == '-' && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, styles, out instant);
    }

    /// <summary>Parses one or more ASCII digits.</summary>
    private static bool TryDigits(ReadOnlySpan<byte> digits, out int value)
    {
        value = 0;
        foreach (var c in digits)
        {
            if (c is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        return !digits.IsEmpty;
    }

    private RowProblem? ConvertDecimal(ReadOnlySpan<byte> text, RowBatch row)
    {
        var s = Encoding.UTF8.GetString(text).Trim();
        var negative = s.StartsWith('-');
        var unsigned = s.TrimStart('-', '+');
        var dot = unsigned.IndexOf('.');
        var whole = (dot < 0 ? unsigned : unsigned[..dot]).TrimStart('0');
        var fraction = dot < 0 ? "" : unsigned[(dot + 1)..];
        if (unsigned.Length == 0 || !(whole + fraction).All(char.IsAsciiDigit) || (dot >= 0 && fraction.Length == 0 && whole.Length == 0))
        {
            return NotA(text, $"a decimal number (precision {_precision}, scale {_scale})");
        }

        var trimmedFraction = fraction.TrimEnd('0');
        if (trimmedFraction.Length > _scale)
        {
            return Problem(ProblemRules.Range, $"'{Show(text)}' has more than {_scale} decimal places (decimal({_precision}, {_scale}))");
        }

        if (whole.Length + _scale > _precision)
        {
            return DoesNotFit(text, $"decimal({_precision}, {_scale})", $"at most {_precision - _scale} digits before the point");
        }

        var canonical = (negative && (whole + trimmedFraction).Trim('0').Length > 0 ? "-" : "") + (whole.Length == 0 ? "0" : whole)
            + (_scale > 0 ? "." + trimmedFraction.PadRight(_scale, '0') : "");
        row.SetText(Column, canonical);
        return null;
    }

    private RowProblem? ConvertJson(ReadOnlySpan<byte> text, RowBatch row)
    {
        try
        {
            using var json = JsonDocument.Parse(text.ToArray());
            JsonEncoding.FromJson(_schema, json.RootElement, wrappedUnions: false);
            row.SetBytes(Column, text);
            return null;
        }
        catch (Exception e) when (e is JsonException or AvroDataException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            return NotA(text, $"JSON for {_schema.DisplayName}");
        }
    }
}
