using System.Security.Cryptography;
using System.Text;

namespace Mysimbdp.Avro;

/// <summary>
/// Writes an Avro object container file: header, then blocks of about <c>blockSize</c> bytes. Owns the stream
/// (closed on dispose) unless <c>leaveOpen</c>.
/// </summary>
public sealed class ContainerWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly string _codec;
    private readonly int _blockSize;
    private readonly byte[] _sync;
    private readonly BinaryEncoder _block = new(64 * 1024);
    private readonly BinaryEncoder _header = new(1024);
    private long _count;
    private byte[] _compressed = [];

    public ContainerWriter(Stream stream, Schema schema, string codec = "null", IReadOnlyDictionary<string, byte[]>? metadata = null,
        int blockSize = 64 * 1024, byte[]? sync = null, bool leaveOpen = false)
    {
        if (!BlockCodec.Supported.Contains(codec))
        {
            throw new ArgumentException($"Codec '{codec}' is not supported (supported: {string.Join(", ", BlockCodec.Supported)}).", nameof(codec));
        }

        _stream = stream;
        _leaveOpen = leaveOpen;
        Schema = schema;
        _codec = codec;
        _blockSize = blockSize;
        _sync = sync ?? RandomNumberGenerator.GetBytes(16);
        var meta = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            ["avro.schema"] = Encoding.UTF8.GetBytes(schema.ToJson()),
            ["avro.codec"] = Encoding.UTF8.GetBytes(codec),
        };
        foreach (var (key, value) in metadata ?? new Dictionary<string, byte[]>())
        {
            meta[key] = value;
        }

        _header.WriteFixed("Obj"u8);
        _header.WriteFixed([1]);
        _header.WriteLong(meta.Count);
        foreach (var (key, value) in meta)
        {
            _header.WriteString(key);
            _header.WriteBytes(value);
        }

        _header.WriteLong(0);
        _header.WriteFixed(_sync);
        _stream.Write(_header.Written);
    }

    public Schema Schema { get; }

    /// <summary>Appends a generic datum.</summary>
    public void Append(object? datum)
    {
        DatumWriter.Write(Schema, datum, _block);
        EndRecord();
    }

    private void EndRecord()
    {
        _count++;
        if (_block.Length >= _blockSize)
        {
            Flush();
        }
    }

    /// <summary>Writes the pending block, if any.</summary>
    public void Flush()
    {
        if (_count == 0)
        {
            return;
        }

        var data = BlockCodec.Compress(_codec, _block.Written, ref _compressed);
        _header.Clear();
        _header.WriteLong(_count);
        _header.WriteLong(data.Length);
        _stream.Write(_header.Written);
        _stream.Write(data);
        _stream.Write(_sync);
        _block.Clear();
        _count = 0;
    }

    public void Dispose()
    {
        Flush();
        _stream.Flush();
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }
}
