using System.Diagnostics;

namespace Mysimbdp.Avro.Tests;

/// <summary>Hostile or corrupt input fails fast with a clear AvroDataException: no hang, no unbounded allocation.</summary>
public sealed class MalformedInputTests
{
    private static AvroDataException Fails(string schema, byte[] data)
    {
        var watch = Stopwatch.StartNew();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<AvroDataException>(() => new DatumReader(Schema.Parse(schema)).Read(data));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "allocated more than 16 MB on a few bytes of input");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        return error;
    }

    [Fact]
    public void ATruncatedVarintIsReported() =>
        Assert.Contains("Truncated varint", Fails("\"long\"", [0x80, 0x80]).Message);

    [Fact]
    public void AVarintLongerThanTenBytesIsReported() =>
        Assert.Contains("varint", Fails("\"long\"", [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]).Message, StringComparison.OrdinalIgnoreCase);

    [Fact]
    public void AnIntOutOfRangeIsReported() =>
        Assert.Contains("does not fit an int", Fails("\"int\"", [0x80, 0x80, 0x80, 0x80, 0x20]).Message);

    [Fact]
    public void ANegativeLengthIsReported() =>
        Assert.Contains("Negative length -1", Fails("\"string\"", [0x01]).Message);

    [Fact]
    public void ALengthPastTheEndIsReportedBeforeAllocating() =>
        Assert.Contains("runs past the end", Fails("\"bytes\"", [0xfe, 0xff, 0xff, 0xff, 0x0f, 0x61]).Message);

    [Fact]
    public void AHugeBlockCountOfIntsCannotFitTheBytesLeft() =>
        Assert.Contains("cannot fit", Fails("{\"type\":\"array\",\"items\":\"int\"}", [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x02]).Message);

    [Fact]
    public void AHugeBlockCountOfNullsIsOverTheLimitInsteadOfLooping() =>
        Assert.Contains("over the limit", Fails("{\"type\":\"array\",\"items\":\"null\"}", [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]).Message);

    [Fact]
    public void ManyBlocksOfNullsAreBoundedInTotal()
    {
        var block = new BinaryEncoder();
        for (var i = 0; i < 3; i++)
        {
            block.WriteLong(DatumReader.MaxZeroByteItems);
        }

        block.WriteLong(0);
        Assert.Contains("more than", Fails("{\"type\":\"array\",\"items\":\"null\"}", block.ToArray()).Message);
    }

    [Fact]
    public void AHugeMapCountIsReported() =>
        Assert.Contains("cannot fit", Fails("{\"type\":\"map\",\"values\":\"int\"}", [0x80, 0x80, 0x80, 0x80, 0x10, 0x02, 0x61, 0x02]).Message);

    [Theory]
    [InlineData(new byte[] { 0x04 }, "Union index 2")]
    [InlineData(new byte[] { 0x01 }, "Union index -1")]
    public void ABadUnionIndexIsReported(byte[] data, string fragment) =>
        Assert.Contains(fragment, Fails("[\"null\",\"int\"]", data).Message);

    [Fact]
    public void ABadEnumIndexIsReported() =>
        Assert.Contains("Enum index 7", Fails("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}", [0x0e]).Message);

    [Fact]
    public void ABooleanMustBeZeroOrOne() =>
        Assert.Contains("not a boolean", Fails("\"boolean\"", [0x02]).Message);

    [Fact]
    public void InvalidUtf8InAStringIsReported() =>
        Assert.Contains("not valid UTF-8", Fails("\"string\"", [0x04, 0xc3, 0x28]).Message);

    [Fact]
    public void TrailingBytesAreReported() =>
        Assert.Contains("left after", Fails("\"int\"", [0x02, 0x02]).Message);

    [Fact]
    public void DeeplyNestedRecursiveDataStopsAtTheDepthLimitInsteadOfOverflowingTheStack()
    {
        var encoder = new BinaryEncoder();
        for (var i = 0; i < 100_000; i++)
        {
            encoder.WriteLong(i);
            encoder.WriteInt(1);
        }

        encoder.WriteLong(0);
        encoder.WriteInt(0);
        const string linkedList = "{\"type\":\"record\",\"name\":\"LongList\",\"fields\":[{\"name\":\"value\",\"type\":\"long\"},{\"name\":\"next\",\"type\":[\"null\",\"LongList\"]}]}";
        Assert.Contains("nested more than", Fails(linkedList, encoder.ToArray()).Message);
    }

    [Fact]
    public void ShallowRecursiveDataRoundTrips()
    {
        var schema = (RecordSchema)Schema.Parse("{\"type\":\"record\",\"name\":\"LongList\",\"fields\":[{\"name\":\"value\",\"type\":\"long\"},{\"name\":\"next\",\"type\":[\"null\",\"LongList\"]}]}");
        GenericRecord? list = null;
        for (var i = 0; i < 100; i++)
        {
            list = new GenericRecord(schema, [(long)i, list]);
        }

        Assert.Equal(list, new DatumReader(schema).Read(DatumWriter.Encode(schema, list)));
    }

    private static AvroDataException ContainerFails(byte[] file)
    {
        var watch = Stopwatch.StartNew();
        var error = Assert.Throws<AvroDataException>(() =>
        {
            using var reader = ContainerReader.Open(new MemoryStream(file), new ContainerLimits(MaxBlockBytes: 1 << 20, MaxDecompressedBytes: 4 << 20));
            _ = reader.ReadAll().Count();
        });
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5));
        return error;
    }

    private static byte[] ValidFile(string codec = "null", int records = 20)
    {
        var schema = Schema.Parse("{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\",\"type\":\"long\"},{\"name\":\"s\",\"type\":\"string\"}]}");
        using var file = new MemoryStream();
        using (var writer = new ContainerWriter(file, schema, codec, blockSize: 100))
        {
            for (var i = 0; i < records; i++)
            {
                writer.Append(new GenericRecord((RecordSchema)schema, [(long)i, "row " + i]));
            }
        }

        return file.ToArray();
    }

    [Fact]
    public void AFileWithoutTheMagicIsRefused() =>
        Assert.Contains("Not an Avro object container file", ContainerFails("PAR1...."u8.ToArray()).Message);

    [Fact]
    public void EveryTruncationOfAFileFailsCleanly()
    {
        var file = ValidFile("deflate");
        for (var length = 0; length < file.Length; length++)
        {
            var cut = file[..length];
            try
            {
                using var reader = ContainerReader.Open(new MemoryStream(cut));
                var count = reader.ReadAll().Count();
                Assert.True(count < 20, $"a file cut at {length} of {file.Length} bytes read all its records");
            }
            catch (AvroDataException)
            {
            }
        }
    }

    [Fact]
    public void AWrongSyncMarkerIsReported()
    {
        var file = ValidFile();
        file[^1] ^= 0xff;
        Assert.Contains("sync marker", ContainerFails(file).Message);
    }

    [Fact]
    public void AnUnsupportedCodecIsNamed()
    {
        var file = ValidFile();
        var text = System.Text.Encoding.Latin1.GetString(file).Replace("\u0008null", "\u000abzip2", StringComparison.Ordinal);
        var error = ContainerFails(System.Text.Encoding.Latin1.GetBytes(text));
        Assert.Contains("codec 'bzip2', which is not supported (supported: null, deflate, snappy, zstandard)", error.Message);
    }

    [Fact]
    public void ABlockOverTheSizeLimitIsRefused()
    {
        var header = ValidFile();
        var syncStart = Array.IndexOf(header, (byte)0, 10);
        var encoder = new BinaryEncoder();
        encoder.WriteLong(1);
        encoder.WriteLong(2L << 30);
        var file = header.Take(HeaderLength(header)).Concat(encoder.ToArray()).ToArray();
        Assert.True(syncStart > 0);
        Assert.Contains("over the limit", ContainerFails(file).Message);
    }

    [Fact]
    public void ADeflateBombIsStoppedAtTheDecompressedLimit()
    {
        var schema = Schema.Parse("{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"b\",\"type\":\"bytes\"}]}");
        using var file = new MemoryStream();
        using (var writer = new ContainerWriter(file, schema, "deflate", blockSize: 64 << 20, leaveOpen: true))
        {
            writer.Append(new GenericRecord((RecordSchema)schema, [new byte[8 << 20]]));
        }

        Assert.True(file.Length < 1 << 20, "the bomb should compress well");
        Assert.Contains("decompresses to more than", ContainerFails(file.ToArray()).Message);
    }

    [Fact]
    public void BlocksOfRecordsThatTakeNoBytesStayValidDeflateForOtherReaders()
    {
        var schema = Schema.Parse("{\"type\":\"record\",\"name\":\"Empty\",\"fields\":[{\"name\":\"nothing\",\"type\":\"null\"}]}");
        var path = Path.GetTempFileName();
        try
        {
            using (var writer = new ContainerWriter(File.Create(path), schema, "deflate"))
            {
                for (var i = 0; i < 5; i++)
                {
                    writer.Append(new GenericRecord((RecordSchema)schema, [null]));
                }
            }

            Assert.Equal(5, NodeOracle.Call("read-container", [], path).Count(a => a.TryGetProperty("datum", out _)));
            using var reader = ContainerReader.Open(File.OpenRead(path));
            Assert.Equal(5, reader.ReadAll().Count());
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The header's length: magic, metadata, and the 16-byte sync marker.</summary>
    private static int HeaderLength(byte[] file)
    {
        using var stream = new MemoryStream(file);
        using var reader = ContainerReader.Open(stream);
        return (int)stream.Position;
    }
}
