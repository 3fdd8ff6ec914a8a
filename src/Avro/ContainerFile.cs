using System.Buffers;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Avro;

/// <summary>Bounds that keep a hostile or corrupt container file from taking unbounded memory.</summary>
/// <param name="MaxBlockBytes">Largest block as stored (after compression).</param>
/// <param name="MaxDecompressedBytes">Largest block once decompressed.</param>
/// <param name="MaxMetadataBytes">Largest header metadata map.</param>
public sealed record ContainerLimits(int MaxBlockBytes = 64 << 20, int MaxDecompressedBytes = 256 << 20, int MaxMetadataBytes = 16 << 20)
{
    public static readonly ContainerLimits Default = new();
}

/// <summary>
/// Reads an Avro object container file (specification, "Object Container Files") block by block from a
/// stream: the header (magic, metadata with the writer's schema and codec, sync marker), then blocks of
/// records, each checked against the sync marker. Codecs: null and deflate.
/// </summary>
public sealed class ContainerReader : IDisposable
{
    public static readonly string[] SupportedCodecs = ["null", "deflate"];
    private static readonly byte[] Magic = [(byte)'O', (byte)'b', (byte)'j', 1];

    private readonly Stream _stream;
    private readonly ContainerLimits _limits;
    private readonly byte[] _sync;
    private byte[] _block = [];
    private byte[] _decompressed = [];

    private ContainerReader(Stream stream, ContainerLimits limits, Schema writerSchema, string codec, Dictionary<string, byte[]> metadata, byte[] sync)
    {
        _stream = stream;
        _limits = limits;
        WriterSchema = writerSchema;
        Codec = codec;
        Metadata = metadata;
        _sync = sync;
    }

    public Schema WriterSchema { get; }

    public string Codec { get; }

    public IReadOnlyDictionary<string, byte[]> Metadata { get; }

    /// <summary>Blocks read so far.</summary>
    public long BlockIndex { get; private set; }

    public static ContainerReader Open(Stream stream, ContainerLimits? limits = null)
    {
        limits ??= ContainerLimits.Default;
        var magic = ReadExactly(stream, 4, "the header");
        if (!magic.AsSpan().SequenceEqual(Magic))
        {
            throw new AvroDataException("Not an Avro object container file: it does not start with 'Obj' and version 1.");
        }

        var metadata = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        long metadataBytes = 0;
        for (var count = ReadLong(stream); count != 0; count = ReadLong(stream))
        {
            if (count < 0)
            {
                count = -count;
                ReadLong(stream);
            }

            for (long i = 0; i < count; i++)
            {
                var key = Encoding.UTF8.GetString(ReadSized(stream, limits.MaxMetadataBytes - metadataBytes, "a metadata key"));
                var value = ReadSized(stream, limits.MaxMetadataBytes - metadataBytes - key.Length, "a metadata value");
                metadataBytes += key.Length + value.Length;
                metadata[key] = value;
            }
        }

        var sync = ReadExactly(stream, 16, "the sync marker");
        if (!metadata.TryGetValue("avro.schema", out var schemaJson))
        {
            throw new AvroDataException("The container file's header has no 'avro.schema'.");
        }

        var codec = metadata.TryGetValue("avro.codec", out var codecBytes) ? Encoding.UTF8.GetString(codecBytes) : "null";
        if (!SupportedCodecs.Contains(codec))
        {
            throw new AvroDataException($"The container file uses codec '{codec}', which is not supported (supported: {string.Join(", ", SupportedCodecs)}).");
        }

        Schema schema;
        try
        {
            schema = Schema.Parse(Encoding.UTF8.GetString(schemaJson));
        }
        catch (SchemaParseException e)
        {
            throw new AvroDataException("The container file's schema is invalid: " + e.Message, e);
        }

        return new ContainerReader(stream, limits, schema, codec, metadata, sync);
    }

    /// <summary>
    /// Reads the next block: the number of records and their encoded bytes (decompressed), valid until the
    /// next call. False at the end of the file.
    /// </summary>
    public bool TryReadBlock(out long count, out ReadOnlyMemory<byte> data)
    {
        data = default;
        count = 0;
        var first = _stream.ReadByte();
        if (first < 0)
        {
            return false;
        }

        count = ReadLong(_stream, first);
        var size = ReadLong(_stream);
        if (count < 0 || size < 0 || size > _limits.MaxBlockBytes)
        {
            throw new AvroDataException($"Block {BlockIndex} declares {count} records in {size} bytes, which is invalid or over the limit of {_limits.MaxBlockBytes} bytes.");
        }

        if (_block.Length < size)
        {
            _block = new byte[Math.Max(size, Math.Min(_block.Length * 2L, _limits.MaxBlockBytes))];
        }

        FillExactly(_stream, _block.AsSpan(0, (int)size), $"block {BlockIndex}");
        Span<byte> sync = stackalloc byte[16];
        FillExactly(_stream, sync, $"the sync marker after block {BlockIndex}");
        if (!sync.SequenceEqual(_sync))
        {
            throw new AvroDataException($"The sync marker after block {BlockIndex} does not match the header's: the file is corrupt.");
        }

        data = Codec == "deflate" ? Inflate(_block.AsMemory(0, (int)size)) : _block.AsMemory(0, (int)size);
        if (count > 0 && count > data.Length && Reading.MinBytes(WriterSchema) > 0)
        {
            throw new AvroDataException($"Block {BlockIndex} declares {count} records but holds only {data.Length} bytes.");
        }

        BlockIndex++;
        return true;
    }

    /// <summary>Every record as a generic datum of <paramref name="readerSchema"/> (the writer's schema when null).</summary>
    public IEnumerable<object?> ReadAll(Schema? readerSchema = null)
    {
        var reader = new DatumReader(WriterSchema, readerSchema);
        var values = new List<object?>();
        while (TryReadBlock(out var count, out var data))
        {
            values.Clear();
            DecodeBlock(reader, count, data.Span, values);
            foreach (var value in values)
            {
                yield return value;
            }
        }
    }

    private void DecodeBlock(DatumReader reader, long count, ReadOnlySpan<byte> data, List<object?> into)
    {
        var decoder = new BinaryDecoder(data);
        for (long i = 0; i < count; i++)
        {
            into.Add(reader.Read(ref decoder));
        }

        if (!decoder.AtEnd)
        {
            throw new AvroDataException($"Block {BlockIndex - 1} has {decoder.Remaining} bytes after its {count} records.");
        }
    }

    private ReadOnlyMemory<byte> Inflate(ReadOnlyMemory<byte> compressed)
    {
        using var input = new ReadOnlyMemoryStream(compressed);
        using var inflater = new DeflateStream(input, CompressionMode.Decompress);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == _decompressed.Length)
                {
                    if (length >= _limits.MaxDecompressedBytes)
                    {
                        throw new AvroDataException($"Block {BlockIndex} decompresses to more than {_limits.MaxDecompressedBytes} bytes.");
                    }

                    Array.Resize(ref _decompressed, (int)Math.Min(Math.Max(64 * 1024, length * 2L), _limits.MaxDecompressedBytes));
                }

                var read = inflater.Read(_decompressed, length, _decompressed.Length - length);
                if (read == 0)
                {
                    return _decompressed.AsMemory(0, length);
                }

                length += read;
            }
        }
        catch (InvalidDataException e)
        {
            throw new AvroDataException($"Block {BlockIndex} is not valid deflate data.", e);
        }
    }

    private static long ReadLong(Stream stream, int first = -1)
    {
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = first >= 0 ? first : stream.ReadByte();
            first = -1;
            if (b < 0)
            {
                throw new AvroDataException("The container file ends inside a varint.");
            }

            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return (long)(value >> 1) ^ -(long)(value & 1);
            }
        }

        throw new AvroDataException("A varint in the container file is longer than 10 bytes.");
    }

    private static byte[] ReadSized(Stream stream, long limit, string what)
    {
        var length = ReadLong(stream);
        if (length < 0 || length > limit)
        {
            throw new AvroDataException($"The length of {what} ({length}) is negative or over the header limit.");
        }

        return ReadExactly(stream, (int)length, what);
    }

    private static byte[] ReadExactly(Stream stream, int count, string what)
    {
        var bytes = new byte[count];
        FillExactly(stream, bytes, what);
        return bytes;
    }

    private static void FillExactly(Stream stream, Span<byte> into, string what)
    {
        try
        {
            stream.ReadExactly(into);
        }
        catch (EndOfStreamException e)
        {
            throw new AvroDataException($"The container file ends inside {what}.", e);
        }
    }

    public void Dispose() => _stream.Dispose();

    /// <summary>A read-only stream over memory, so that inflating does not copy the compressed block.</summary>
    private sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> memory) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => memory.Length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(buffer.Length, memory.Length - _position);
            memory.Span.Slice(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

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

    public ContainerWriter(Stream stream, Schema schema, string codec = "null", IReadOnlyDictionary<string, byte[]>? metadata = null,
        int blockSize = 64 * 1024, byte[]? sync = null, bool leaveOpen = false)
    {
        if (!ContainerReader.SupportedCodecs.Contains(codec))
        {
            throw new ArgumentException($"Codec '{codec}' is not supported (supported: {string.Join(", ", ContainerReader.SupportedCodecs)}).", nameof(codec));
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

    /// <summary>Appends a datum already encoded with <see cref="Schema"/>.</summary>
    public void AppendEncoded(ReadOnlySpan<byte> datum)
    {
        _block.WriteFixed(datum);
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

        var data = _block.Written;
        byte[]? rented = null;
        if (_codec == "deflate")
        {
            using var compressed = new MemoryStream();
            using (var deflater = new DeflateStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                deflater.Write(data);
            }

            if (compressed.Length == 0)
            {
                // .NET writes nothing for empty input, which is not a deflate stream; this is the empty one
                // (a final, fixed-Huffman block holding only its end marker) that zlib and Java expect.
                compressed.Write([0x03, 0x00]);
            }

            rented = ArrayPool<byte>.Shared.Rent((int)compressed.Length);
            compressed.Position = 0;
            compressed.ReadExactly(rented, 0, (int)compressed.Length);
            data = rented.AsSpan(0, (int)compressed.Length);
        }

        _header.Clear();
        _header.WriteLong(_count);
        _header.WriteLong(data.Length);
        _stream.Write(_header.Written);
        _stream.Write(data);
        _stream.Write(_sync);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

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
