using System.Text;

namespace Mysimbdp.Avro;

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
/// records, each checked against the sync marker. Codecs: see <see cref="BlockCodec"/>.
/// </summary>
public sealed class ContainerReader : IDisposable
{
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
        if (!BlockCodec.Supported.Contains(codec))
        {
            throw new AvroDataException($"The container file uses codec '{codec}', which is not supported (supported: {string.Join(", ", BlockCodec.Supported)}).");
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

        data = BlockCodec.Decompress(Codec, _block.AsMemory(0, (int)size), ref _decompressed, _limits.MaxDecompressedBytes, BlockIndex);
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
}
