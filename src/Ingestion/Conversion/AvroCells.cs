using System.Globalization;
using System.Numerics;
using System.Text;
using Mysimbdp.Avro;
using Catalog.Datasets;
using Coredms;

namespace Ingestion.Conversion;

/// <summary>
/// Avro values to the cells coredms stores and back, field by field in the dataset's schema: times are
/// nanoseconds of the day in cells and milli- or microseconds in Avro, decimals are exact text in cells and
/// two's-complement bytes in Avro, nested values are plain JSON in cells. Used for Avro files and for records
/// on the stream.
/// </summary>
public static class AvroCells
{
    /// <summary>The decimal in two's complement, big-endian, as Avro stores it (sign-extended to <paramref name="size"/> for fixed).</summary>
    public static byte[] DecimalBytes(string text, int scale, int? size)
    {
        var negative = text.StartsWith('-');
        var digits = text.TrimStart('-', '+');
        var dot = digits.IndexOf('.');
        var whole = dot < 0 ? digits : digits[..dot];
        var fraction = (dot < 0 ? "" : digits[(dot + 1)..]).PadRight(scale, '0')[..scale];
        var unscaled = BigInteger.Parse(whole + fraction, CultureInfo.InvariantCulture);
        var bytes = (negative ? -unscaled : unscaled).ToByteArray(isUnsigned: false, isBigEndian: true);
        if (size is { } n && bytes.Length < n)
        {
            var padded = new byte[n];
            Array.Fill(padded, negative ? (byte)0xff : (byte)0);
            bytes.CopyTo(padded, n - bytes.Length);
            return padded;
        }

        return bytes;
    }

    /// <summary>The decimal's text from Avro's two's-complement unscaled bytes and the scale.</summary>
    public static string DecimalText(ReadOnlySpan<byte> unscaled, int scale)
    {
        var value = new BigInteger(unscaled, isUnsigned: false, isBigEndian: true);
        var digits = BigInteger.Abs(value).ToString(CultureInfo.InvariantCulture).PadLeft(scale + 1, '0');
        var text = scale == 0 ? digits : digits[..^scale] + "." + digits[^scale..];
        return value.Sign < 0 ? "-" + text : text;
    }
}

/// <summary>Writes decoded fields into the row being built, in the forms coredms stores.</summary>
public sealed class RowBatchSink : IRecordSink
{
    private readonly Schema[] _fields;
    private readonly DataType[] _types;

    public RowBatchSink(Dataset dataset)
    {
        _fields = dataset.Schema.Fields.Select(f => AvroColumns.Unwrap(f.Schema)).ToArray();
        _types = dataset.Table.Columns.Select(c => c.Type).ToArray();
    }

    public RowBatch Rows { get; set; } = null!;

    public void OnNull(int field) => Rows.SetNull(field);

    public void OnBoolean(int field, bool value) => Rows.SetInt64(field, value ? 1 : 0);

    public void OnInt(int field, int value) => OnLong(field, value);

    public void OnLong(int field, long value) => Rows.SetInt64(field, _fields[field].LogicalType?.Name switch
    {
        LogicalType.TimeMillis => value * 1_000_000,
        LogicalType.TimeMicros => value * 1000,
        _ => value,
    });

    public void OnFloat(int field, float value) => Rows.SetDouble(field, value);

    public void OnDouble(int field, double value) => Rows.SetDouble(field, value);

    public void OnBytes(int field, ReadOnlySpan<byte> value)
    {
        if (_types[field].Kind == DataTypeKind.Decimal)
        {
            Rows.SetText(field, AvroCells.DecimalText(value, _fields[field].LogicalType!.Scale));
        }
        else
        {
            Rows.SetBytes(field, value);
        }
    }

    public void OnString(int field, ReadOnlySpan<byte> utf8) => Rows.SetBytes(field, utf8);

    public void OnEnum(int field, int index, string symbol) => Rows.SetText(field, symbol);

    public void OnFixed(int field, ReadOnlySpan<byte> value) => OnBytes(field, value);

    public void OnValue(int field, object? value)
    {
        if (value is null)
        {
            Rows.SetNull(field);
        }
        else
        {
            Rows.SetText(field, JsonEncoding.ToJson(_fields[field], value, wrapUnions: false));
        }
    }
}

/// <summary>Reads a stored row's cells as the fields of the dataset's record, for encoding it as Avro.</summary>
public sealed class RowBatchSource : IRecordSource
{
    private readonly Schema[] _fields;
    private readonly long[] _timeFactors;

    public RowBatchSource(Dataset dataset)
    {
        _fields = dataset.Schema.Fields.Select(f => AvroColumns.Unwrap(f.Schema)).ToArray();
        _timeFactors = _fields.Select(f => f.LogicalType?.Name switch
        {
            LogicalType.TimeMillis => 1_000_000L,
            LogicalType.TimeMicros => 1000L,
            _ => 1L,
        }).ToArray();
    }

    public RowBatch Rows { get; set; } = null!;

    public int Row { get; set; }

    public bool IsNull(int field) => Rows.IsNull(Row, field);

    public bool GetBoolean(int field) => Rows.GetInt64(Row, field) != 0;

    public long GetLong(int field) => Rows.GetInt64(Row, field) / _timeFactors[field];

    public double GetDouble(int field) => Rows.GetDouble(Row, field);

    public ReadOnlySpan<byte> GetBytes(int field) => _fields[field].LogicalType?.Name == LogicalType.Decimal
        ? AvroCells.DecimalBytes(Rows.GetText(Row, field), _fields[field].LogicalType!.Scale, (_fields[field] as FixedSchema)?.Size)
        : Rows.GetBytes(Row, field);

    public object? GetValue(int field)
    {
        using var json = System.Text.Json.JsonDocument.Parse(Rows.GetBytes(Row, field).ToArray());
        return JsonEncoding.FromJson(_fields[field], json.RootElement, wrappedUnions: false);
    }
}
