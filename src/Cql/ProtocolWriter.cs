using System.Buffers.Binary;
using System.Text;

namespace Cql;

/// <summary>Writes the protocol's notations (section 3 of the v4 spec), big-endian, into a growing buffer.</summary>
public sealed class ProtocolWriter
{
    private byte[] _buffer = new byte[256];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Length);

    public byte[] ToArray() => Written.ToArray();

    private Span<byte> Take(int count)
    {
        if (Length + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + count));
        }

        var span = _buffer.AsSpan(Length, count);
        Length += count;
        return span;
    }

    public void Byte(byte value) => Take(1)[0] = value;

    public void Short(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Take(2), value);

    public void Int(int value) => BinaryPrimitives.WriteInt32BigEndian(Take(4), value);

    public void Long(long value) => BinaryPrimitives.WriteInt64BigEndian(Take(8), value);

    public void Raw(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Take(bytes.Length));

    /// <summary>[string]: a [short] n, then n bytes of UTF-8.</summary>
    public void String(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        if (count > ushort.MaxValue)
        {
            throw new ArgumentException($"A [string] holds at most 65535 bytes; this one has {count}.", nameof(value));
        }

        Short((ushort)count);
        Encoding.UTF8.GetBytes(value, Take(count));
    }

    /// <summary>[long string]: an [int] n, then n bytes of UTF-8.</summary>
    public void LongString(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        Int(count);
        Encoding.UTF8.GetBytes(value, Take(count));
    }

    /// <summary>[bytes]: an [int] n, then n bytes; null is n = -1.</summary>
    public void Bytes(ReadOnlySpan<byte> value, bool isNull = false)
    {
        if (isNull)
        {
            Int(-1);
            return;
        }

        Int(value.Length);
        Raw(value);
    }

    /// <summary>[short bytes]: a [short] n, then n bytes.</summary>
    public void ShortBytes(ReadOnlySpan<byte> value)
    {
        Short((ushort)value.Length);
        Raw(value);
    }

    public void StringMap(IReadOnlyDictionary<string, string> map)
    {
        Short((ushort)map.Count);
        foreach (var (key, value) in map)
        {
            String(key);
            String(value);
        }
    }

    /// <summary>Reserves an [int] to be filled later (a length), returning its position.</summary>
    public int ReserveInt()
    {
        Take(4);
        return Length - 4;
    }

    public void PatchInt(int position, int value) => BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(position, 4), value);
}
