using System.Buffers.Binary;
using System.Collections;
using System.Net;
using System.Numerics;
using System.Text;

namespace Cql;

/// <summary>
/// Values to and from their CQL v4 byte form (section 6 of the spec). .NET types: text/ascii string; bigint and
/// counter long; int int; smallint short; tinyint sbyte; double; float; boolean bool; blob byte[]; uuid and
/// timeuuid Guid; timestamp DateTimeOffset (ms since the epoch); date DateOnly (days, 2^31 = 1970-01-01);
/// time long (nanoseconds since midnight); varint BigInteger; decimal <see cref="CqlDecimal"/> (or a .NET
/// decimal when encoding); inet IPAddress; list and set IList; map IDictionary; tuple object?[]. Null is
/// written by the caller as [bytes] of length -1.
/// </summary>
public static class CqlCodec
{
    private static readonly DateOnly Epoch = new(1970, 1, 1);

    public static byte[] Encode(CqlType type, object value)
    {
        var writer = new ProtocolWriter();
        Write(writer, type, value);
        return writer.ToArray();
    }

    /// <summary>Writes the value's bytes, without the [bytes] length in front.</summary>
    public static void Write(ProtocolWriter w, CqlType type, object value)
    {
        switch (type.Id)
        {
            case CqlTypeId.Ascii or CqlTypeId.Varchar:
                w.Raw(Encoding.UTF8.GetBytes((string)value));
                break;
            case CqlTypeId.BigInt or CqlTypeId.Counter:
                w.Long(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case CqlTypeId.Int:
                w.Int(Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case CqlTypeId.SmallInt:
                w.Short((ushort)Convert.ToInt16(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case CqlTypeId.TinyInt:
                w.Byte((byte)Convert.ToSByte(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case CqlTypeId.Double:
                w.Long(BitConverter.DoubleToInt64Bits(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)));
                break;
            case CqlTypeId.Float:
                w.Int(BitConverter.SingleToInt32Bits(Convert.ToSingle(value, System.Globalization.CultureInfo.InvariantCulture)));
                break;
            case CqlTypeId.Boolean:
                w.Byte((bool)value ? (byte)1 : (byte)0);
                break;
            case CqlTypeId.Blob or CqlTypeId.Custom:
                w.Raw((byte[])value);
                break;
            case CqlTypeId.Uuid or CqlTypeId.TimeUuid:
                w.Raw(((Guid)value).ToByteArray(bigEndian: true));
                break;
            case CqlTypeId.Timestamp:
                w.Long(value is DateTimeOffset t ? t.ToUnixTimeMilliseconds() : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case CqlTypeId.Date:
                var days = value is DateOnly d ? d.DayNumber - Epoch.DayNumber : Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);
                w.Int(unchecked((int)((uint)days + 0x8000_0000u)));
                break;
            case CqlTypeId.Time:
                var nanos = Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
                if (nanos is < 0 or >= 86_400_000_000_000L)
                {
                    throw new ArgumentOutOfRangeException(nameof(value), "A time is 0 to 86399999999999 nanoseconds since midnight.");
                }

                w.Long(nanos);
                break;
            case CqlTypeId.Varint:
                w.Raw(ToBigInteger(value).ToByteArray(isUnsigned: false, isBigEndian: true));
                break;
            case CqlTypeId.Decimal:
                var dec = value is CqlDecimal cd ? cd : CqlDecimal.From((decimal)value);
                w.Int(dec.Scale);
                w.Raw(dec.Unscaled.ToByteArray(isUnsigned: false, isBigEndian: true));
                break;
            case CqlTypeId.Inet:
                w.Raw(((IPAddress)value).GetAddressBytes());
                break;
            case CqlTypeId.List or CqlTypeId.Set:
                var items = ((IEnumerable)value).Cast<object?>().ToList();
                w.Int(items.Count);
                foreach (var item in items)
                {
                    WriteElement(w, type.Elements[0], item ?? throw NullInCollection(type));
                }

                break;
            case CqlTypeId.Map:
                var map = (IDictionary)value;
                w.Int(map.Count);
                foreach (DictionaryEntry entry in map)
                {
                    WriteElement(w, type.Elements[0], entry.Key);
                    WriteElement(w, type.Elements[1], entry.Value ?? throw NullInCollection(type));
                }

                break;
            case CqlTypeId.Tuple or CqlTypeId.Udt:
                var fields = (object?[])value;
                for (var i = 0; i < type.Elements.Count; i++)
                {
                    WriteElement(w, type.Elements[i], i < fields.Length ? fields[i] : null);
                }

                break;
            default:
                throw new NotSupportedException($"Values of type {type} cannot be encoded.");
        }
    }

    private static ArgumentException NullInCollection(CqlType type) => new($"A {type} cannot hold null: Cassandra collections have no null elements.");

    private static void WriteElement(ProtocolWriter w, CqlType type, object? value)
    {
        if (value is null)
        {
            w.Int(-1);
            return;
        }

        var at = w.ReserveInt();
        Write(w, type, value);
        w.PatchInt(at, w.Length - at - 4);
    }

    private static BigInteger ToBigInteger(object value) => value switch
    {
        BigInteger b => b,
        long l => l,
        int i => i,
        ulong u => u,
        _ => BigInteger.Parse(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!, System.Globalization.CultureInfo.InvariantCulture),
    };

    public static object Decode(CqlType type, ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty && type.Id is CqlTypeId.List or CqlTypeId.Set)
        {
            return new List<object?>();
        }

        if (bytes.IsEmpty && type.Id is CqlTypeId.Map)
        {
            return new Dictionary<object, object?>();
        }

        switch (type.Id)
        {
            case CqlTypeId.Ascii or CqlTypeId.Varchar:
                return Encoding.UTF8.GetString(bytes);
            case CqlTypeId.BigInt or CqlTypeId.Counter:
                return BinaryPrimitives.ReadInt64BigEndian(Exactly(bytes, 8, type));
            case CqlTypeId.Int:
                return BinaryPrimitives.ReadInt32BigEndian(Exactly(bytes, 4, type));
            case CqlTypeId.SmallInt:
                return BinaryPrimitives.ReadInt16BigEndian(Exactly(bytes, 2, type));
            case CqlTypeId.TinyInt:
                return (sbyte)Exactly(bytes, 1, type)[0];
            case CqlTypeId.Double:
                return BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64BigEndian(Exactly(bytes, 8, type)));
            case CqlTypeId.Float:
                return BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadInt32BigEndian(Exactly(bytes, 4, type)));
            case CqlTypeId.Boolean:
                return Exactly(bytes, 1, type)[0] != 0;
            case CqlTypeId.Blob or CqlTypeId.Custom:
                return bytes.ToArray();
            case CqlTypeId.Uuid or CqlTypeId.TimeUuid:
                return new Guid(Exactly(bytes, 16, type), bigEndian: true);
            case CqlTypeId.Timestamp:
                return DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(Exactly(bytes, 8, type)));
            case CqlTypeId.Date:
                var raw = BinaryPrimitives.ReadUInt32BigEndian(Exactly(bytes, 4, type));
                return DateOnly.FromDayNumber(Epoch.DayNumber + (int)(raw - 0x8000_0000u));
            case CqlTypeId.Time:
                return BinaryPrimitives.ReadInt64BigEndian(Exactly(bytes, 8, type));
            case CqlTypeId.Varint:
                return new BigInteger(bytes, isUnsigned: false, isBigEndian: true);
            case CqlTypeId.Decimal:
                if (bytes.Length < 4)
                {
                    throw new CqlProtocolException($"A decimal needs at least 4 bytes, not {bytes.Length}.");
                }

                return new CqlDecimal(new BigInteger(bytes[4..], isUnsigned: false, isBigEndian: true), BinaryPrimitives.ReadInt32BigEndian(bytes));
            case CqlTypeId.Inet:
                return bytes.Length is 4 or 16 ? new IPAddress(bytes) : throw new CqlProtocolException($"An inet is 4 or 16 bytes, not {bytes.Length}.");
            case CqlTypeId.List or CqlTypeId.Set:
            {
                var reader = new ProtocolReader(bytes);
                var count = reader.Int();
                var list = new List<object?>(Math.Min(count, 1024));
                for (var i = 0; i < count; i++)
                {
                    list.Add(ReadElement(ref reader, type.Elements[0]));
                }

                return list;
            }

            case CqlTypeId.Map:
            {
                var reader = new ProtocolReader(bytes);
                var count = reader.Int();
                var map = new Dictionary<object, object?>(Math.Min(count, 1024));
                for (var i = 0; i < count; i++)
                {
                    var key = ReadElement(ref reader, type.Elements[0]) ?? throw new CqlProtocolException("A map key is null.");
                    map[key] = ReadElement(ref reader, type.Elements[1]);
                }

                return map;
            }

            case CqlTypeId.Tuple or CqlTypeId.Udt:
            {
                var reader = new ProtocolReader(bytes);
                var values = new object?[type.Elements.Count];
                for (var i = 0; i < values.Length && reader.Remaining > 0; i++)
                {
                    values[i] = ReadElement(ref reader, type.Elements[i]);
                }

                return values;
            }

            default:
                throw new NotSupportedException($"Values of type {type} cannot be decoded.");
        }
    }

    private static object? ReadElement(ref ProtocolReader reader, CqlType type) => reader.Bytes() is { } b ? Decode(type, b) : null;

    private static ReadOnlySpan<byte> Exactly(ReadOnlySpan<byte> bytes, int length, CqlType type) =>
        bytes.Length == length ? bytes : throw new CqlProtocolException($"A {type} value is {length} bytes, not {bytes.Length}.");
}

/// <summary>A CQL decimal: <see cref="Unscaled"/> × 10^-<see cref="Scale"/>, of any precision.</summary>
public readonly record struct CqlDecimal(BigInteger Unscaled, int Scale)
{
    public static CqlDecimal From(decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var magnitude = ((BigInteger)(uint)bits[2] << 64) | ((BigInteger)(uint)bits[1] << 32) | (uint)bits[0];
        var scale = (bits[3] >> 16) & 0xFF;
        return new CqlDecimal(bits[3] < 0 ? -magnitude : magnitude, scale);
    }

    public override string ToString()
    {
        var digits = BigInteger.Abs(Unscaled).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var sign = Unscaled.Sign < 0 ? "-" : "";
        if (Scale <= 0)
        {
            return sign + digits + new string('0', -Scale);
        }

        digits = digits.PadLeft(Scale + 1, '0');
        return sign + digits[..^Scale] + "." + digits[^Scale..];
    }
}
