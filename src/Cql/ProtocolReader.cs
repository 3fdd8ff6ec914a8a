using System.Buffers.Binary;
using System.Text;

namespace Cql;

/// <summary>Reads the protocol's notations from a frame body; reading past its end is a <see cref="CqlProtocolException"/>.</summary>
public ref struct ProtocolReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;

    public int Position { get; private set; }

    public readonly int Remaining => _data.Length - Position;

    private ReadOnlySpan<byte> Take(int count, string what)
    {
        if (count < 0 || count > Remaining)
        {
            throw new CqlProtocolException($"The frame ends inside {what}: {count} bytes are needed at offset {Position}, {Remaining} are left.");
        }

        var span = _data.Slice(Position, count);
        Position += count;
        return span;
    }

    public byte Byte() => Take(1, "a [byte]")[0];

    public ushort Short() => BinaryPrimitives.ReadUInt16BigEndian(Take(2, "a [short]"));

    public int Int() => BinaryPrimitives.ReadInt32BigEndian(Take(4, "an [int]"));

    public long Long() => BinaryPrimitives.ReadInt64BigEndian(Take(8, "a [long]"));

    public string String() => Encoding.UTF8.GetString(Take(Short(), "a [string]"));

    public string LongString() => Encoding.UTF8.GetString(Take(Int(), "a [long string]"));

    /// <summary>[bytes]; null when n &lt; 0.</summary>
    public byte[]? Bytes()
    {
        var count = Int();
        return count < 0 ? null : Take(count, "[bytes]").ToArray();
    }

    public byte[] ShortBytes() => Take(Short(), "[short bytes]").ToArray();

    public Guid Uuid() => new(Take(16, "a [uuid]"), bigEndian: true);

    public List<string> StringList()
    {
        var count = Short();
        var list = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            list.Add(String());
        }

        return list;
    }

    public Dictionary<string, List<string>> StringMultimap()
    {
        var count = Short();
        var map = new Dictionary<string, List<string>>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            map[String()] = StringList();
        }

        return map;
    }

    public Dictionary<string, byte[]?> BytesMap()
    {
        var count = Short();
        var map = new Dictionary<string, byte[]?>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            map[String()] = Bytes();
        }

        return map;
    }
}
