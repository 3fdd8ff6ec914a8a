using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using Snappier;
using ZstdSharp;

namespace Mysimbdp.Avro;

/// <summary>
/// The block codecs of object container files (specification, "Required Codecs" and "Optional Codecs"):
/// <c>null</c>, <c>deflate</c> (RFC 1951, no zlib header), <c>snappy</c> (each block followed by the big-endian
/// CRC-32 of its uncompressed bytes, which is checked) and <c>zstandard</c>. Decompression writes into a buffer
/// the caller keeps, grown up to a limit, so a hostile block cannot take unbounded memory.
/// </summary>
internal static class BlockCodec
{
    public static readonly string[] Supported = ["null", "deflate", "snappy", "zstandard"];

    /// <summary>The uncompressed bytes of <paramref name="block"/>, in <paramref name="scratch"/> unless the codec is null.</summary>
    public static ReadOnlyMemory<byte> Decompress(string codec, ReadOnlyMemory<byte> block, ref byte[] scratch, int limit, long blockIndex)
    {
        try
        {
            switch (codec)
            {
                case "null":
                    return block;
                case "deflate":
                    using (var inflater = new DeflateStream(new ReadOnlyMemoryStream(block), CompressionMode.Decompress))
                    {
                        return ReadAll(inflater, ref scratch, limit, blockIndex);
                    }

                case "zstandard":
                    using (var zstd = new DecompressionStream(new ReadOnlyMemoryStream(block)))
                    {
                        return ReadAll(zstd, ref scratch, limit, blockIndex);
                    }

                default:
                    return Unsnap(block.Span, ref scratch, limit, blockIndex);
            }
        }
        catch (Exception e) when (e is InvalidDataException or ZstdException or IOException)
        {
            throw new AvroDataException($"Block {blockIndex} is not valid {codec} data: {e.Message}", e);
        }
    }

    /// <summary>
    /// <paramref name="data"/> compressed with <paramref name="codec"/>, in <paramref name="scratch"/> (grown as
    /// needed) unless the codec is null.
    /// </summary>
    public static ReadOnlySpan<byte> Compress(string codec, ReadOnlySpan<byte> data, ref byte[] scratch)
    {
        switch (codec)
        {
            case "null":
                return data;
            case "deflate":
                var compressed = new MemoryStream(Math.Max(256, data.Length / 2));
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

                scratch = compressed.GetBuffer();
                return scratch.AsSpan(0, (int)compressed.Length);
            case "zstandard":
                Grow(ref scratch, Compressor.GetCompressBound(data.Length));
                using (var compressor = new Compressor())
                {
                    return scratch.AsSpan(0, compressor.Wrap(data, scratch));
                }

            default:
                Grow(ref scratch, Snappy.GetMaxCompressedLength(data.Length) + 4);
                var length = Snappy.Compress(data, scratch);
                BinaryPrimitives.WriteUInt32BigEndian(scratch.AsSpan(length), Crc32.HashToUInt32(data));
                return scratch.AsSpan(0, length + 4);
        }
    }

    private static ReadOnlyMemory<byte> Unsnap(ReadOnlySpan<byte> block, ref byte[] scratch, int limit, long blockIndex)
    {
        if (block.Length < 4)
        {
            throw new AvroDataException($"Block {blockIndex} is too short for snappy data and its checksum.");
        }

        var compressed = block[..^4];
        var length = Snappy.GetUncompressedLength(compressed);
        if (length > limit)
        {
            throw new AvroDataException($"Block {blockIndex} decompresses to more than {limit} bytes.");
        }

        Grow(ref scratch, length);
        var written = Snappy.Decompress(compressed, scratch);
        var expected = BinaryPrimitives.ReadUInt32BigEndian(block[^4..]);
        if (Crc32.HashToUInt32(scratch.AsSpan(0, written)) != expected)
        {
            throw new AvroDataException($"Block {blockIndex} fails its snappy CRC-32 check: the file is corrupt.");
        }

        return scratch.AsMemory(0, written);
    }

    private static ReadOnlyMemory<byte> ReadAll(Stream decompressing, ref byte[] scratch, int limit, long blockIndex)
    {
        var length = 0;
        while (true)
        {
            if (length == scratch.Length)
            {
                if (length >= limit)
                {
                    throw new AvroDataException($"Block {blockIndex} decompresses to more than {limit} bytes.");
                }

                Array.Resize(ref scratch, (int)Math.Min(Math.Max(64 * 1024, length * 2L), limit));
            }

            var read = decompressing.Read(scratch, length, scratch.Length - length);
            if (read == 0)
            {
                return scratch.AsMemory(0, length);
            }

            length += read;
        }
    }

    private static void Grow(ref byte[] scratch, int length)
    {
        if (scratch.Length < length)
        {
            scratch = new byte[Math.Max(length, scratch.Length * 2)];
        }
    }

    /// <summary>A read-only stream over memory, so that decompressing does not copy the compressed block.</summary>
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
