using System.Buffers.Binary;
using System.Text;

namespace Mysimbdp.Avro;

/// <summary>
/// Reads Avro's binary encoding from a span. Every length and count is checked against the bytes that are
/// actually left before anything is allocated, so malformed input fails fast with a clear message and never
/// allocates more than the input's size.
/// </summary>
public ref struct BinaryDecoder
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly ReadOnlySpan<byte> _data;

    public BinaryDecoder(ReadOnlySpan<byte> data)
    {
        _data = data;
        Position = 0;
    }

    public int Position { get; private set; }

    public readonly int Remaining => _data.Length - Position;

    public readonly bool AtEnd => Position >= _data.Length;

    /// <summary>A zig-zag varint of at most 10 bytes.</summary>
    public long ReadLong()
    {
        ulong value = 0;
        var shift = 0;
        var start = Position;
        while (true)
        {
            if (Position >= _data.Length)
            {
                throw new AvroDataException($"Truncated varint at byte {start}: the data ends inside it.");
            }

            var b = _data[Position++];
            if (shift == 63 && b > 1)
            {
                throw new AvroDataException($"Varint at byte {start} overflows 64 bits.");
            }

            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return (long)(value >> 1) ^ -(long)(value & 1);
            }

            shift += 7;
            if (shift > 63)
            {
                throw new AvroDataException($"Varint at byte {start} is longer than 10 bytes.");
            }
        }
    }

    public int ReadInt()
    {
        var start = Position;
        var value = ReadLong();
        return value is >= int.MinValue and <= int.MaxValue
            ? (int)value
            : throw new AvroDataException($"Value {value} at byte {start} does not fit an int.");
    }

    public bool ReadBoolean()
    {
        var b = Take(1, "boolean")[0];
        return b switch
        {
            0 => false,
            1 => true,
            _ => throw new AvroDataException($"Byte {b} at {Position - 1} is not a boolean (0 or 1)."),
        };
    }

    public float ReadFloat() => BinaryPrimitives.ReadSingleLittleEndian(Take(4, "float"));

    public double ReadDouble() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, "double"));

    /// <summary>The bytes of a bytes or string value, without copying.</summary>
    public ReadOnlySpan<byte> ReadBytesSpan()
    {
        var at = Position;
        var length = ReadLong();
        if (length < 0)
        {
            throw new AvroDataException($"Negative length {length} at byte {at}.");
        }

        if (length > Remaining)
        {
            throw new AvroDataException($"Length {length} at byte {at} runs past the end of the data ({Remaining} bytes left).");
        }

        return Take((int)length, "bytes");
    }

    public byte[] ReadBytes() => ReadBytesSpan().ToArray();

    public string ReadString()
    {
        var at = Position;
        var utf8 = ReadBytesSpan();
        try
        {
            return StrictUtf8.GetString(utf8);
        }
        catch (DecoderFallbackException e)
        {
            throw new AvroDataException($"The string at byte {at} is not valid UTF-8.", e);
        }
    }

    public ReadOnlySpan<byte> ReadFixed(int size) => Take(size, "fixed");

    /// <summary>
    /// The count of the next array or map block (0 ends the value). A negative count is followed by the
    /// block's size in bytes, which is checked and skipped here. A count that the remaining bytes cannot
    /// hold (each item takes at least <paramref name="minItemBytes"/>) is refused; for items that take no
    /// bytes at all, <paramref name="maxItems"/> bounds the count instead.
    /// </summary>
    public long ReadBlockCount(int minItemBytes, long maxItems)
    {
        var at = Position;
        var count = ReadLong();
        if (count < 0)
        {
            if (count == long.MinValue)
            {
                throw new AvroDataException($"Block count at byte {at} is out of range.");
            }

            count = -count;
            var sizeAt = Position;
            var size = ReadLong();
            if (size < 0 || size > Remaining)
            {
                throw new AvroDataException($"Block size {size} at byte {sizeAt} is negative or runs past the end of the data.");
            }
        }

        if (minItemBytes > 0 ? count > Remaining / minItemBytes : count > maxItems)
        {
            throw new AvroDataException(minItemBytes > 0
                ? $"Block count {count} at byte {at} cannot fit in the {Remaining} bytes left."
                : $"Block count {count} at byte {at} is over the limit of {maxItems} items.");
        }

        return count;
    }

    private ReadOnlySpan<byte> Take(int count, string what)
    {
        if (count > Remaining)
        {
            throw new AvroDataException($"Truncated {what} at byte {Position}: {count} bytes needed, {Remaining} left.");
        }

        var span = _data.Slice(Position, count);
        Position += count;
        return span;
    }
}
