using Mysimbdp.Tests.Oracles;

namespace Mysimbdp.Avro.Tests;

/// <summary>
/// The library against Apache.Avro 1.12 (the ASF's C# implementation) on the same schemas, datums and files. Two
/// things the specification allows and Apache.Avro's C# library refuses are left out of its cases (and checked
/// against avsc instead): a fixed of size 0, and resolving string and bytes as each other.
/// </summary>
public sealed class ApacheAvroCrossCheckTests
{
    private static bool ApacheParses(Schema schema) => !schema.ToJson().Contains("\"size\":0", StringComparison.Ordinal);

    private static IEnumerable<(Schema Schema, object? Datum)> Samples(int count, int seedBase)
    {
        var made = 0;
        for (var seed = seedBase; made < count; seed++)
        {
            var random = new RandomAvro(seed);
            var schema = random.NextSchema();
            if (!ApacheParses(schema))
            {
                continue;
            }

            for (var i = 0; i < 3; i++, made++)
            {
                yield return (schema, random.NextDatum(schema));
            }
        }
    }

    public static TheoryData<string> SpecSchemas() => new(SchemaTestsFileTests.Cases().Select(c => c.Input));

    [Theory]
    [MemberData(nameof(SpecSchemas))]
    public void CanonicalFormsAndFingerprintsAreApachesOnTheSpecsSchemas(string json)
    {
        var ours = Schema.Parse(json);
        var theirs = global::Avro.Schema.Parse(json);
        Assert.Equal(global::Avro.SchemaNormalization.ToParsingForm(theirs), ours.CanonicalForm);
        Assert.Equal(global::Avro.SchemaNormalization.ParsingFingerprint64(theirs), ours.Fingerprint64);
    }

    [Fact]
    public void CanonicalFormsAndFingerprintsAreApachesOnRandomSchemas()
    {
        for (var seed = 0; seed < 400; seed++)
        {
            var ours = new RandomAvro(seed).NextSchema(maxDepth: 4);
            if (!ApacheParses(ours))
            {
                continue;
            }

            // Apache.Avro is given the schema without its logical types, which the canonical form drops anyway: its C#
            // normalizer writes a fixed that carries a logical type as a bare name, losing its definition.
            var theirs = ApacheAvro.Parse(ours);
            Assert.True(global::Avro.SchemaNormalization.ToParsingForm(theirs) == ours.CanonicalForm, $"seed {seed}: {ours.ToJson()}");
            Assert.Equal(global::Avro.SchemaNormalization.ParsingFingerprint64(theirs), ours.Fingerprint64);
        }
    }

    [Fact]
    public void OurEncodingsAreByteForByteApaches()
    {
        var i = 0;
        foreach (var (schema, datum) in Samples(900, 20_000))
        {
            var apache = ApacheAvro.Parse(schema);
            var theirs = ApacheAvro.Encode(apache, ApacheAvro.ToApache(apache, datum));
            Assert.True(Convert.ToHexStringLower(DatumWriter.Encode(schema, datum)) == Convert.ToHexStringLower(theirs),
                $"sample {i++}: {schema.ToJson()}\n{JsonEncoding.ToJson(schema, datum)}");
        }
    }

    [Fact]
    public void ApacheDecodesOurBytesToTheSameDatums()
    {
        var i = 0;
        foreach (var (schema, datum) in Samples(900, 30_000))
        {
            var apache = ApacheAvro.Parse(schema);
            var theirs = ApacheAvro.FromApache(schema, ApacheAvro.Decode(apache, apache, DatumWriter.Encode(schema, datum)));
            Assert.True(DatumEquality.Equal(datum, theirs), $"sample {i++}: {schema.ToJson()}\nours: {JsonEncoding.ToJson(schema, datum)}");
        }
    }

    [Fact]
    public void ResolvingAnEvolvedSchemaGivesWhatApacheGives()
    {
        var compared = 0;
        for (var seed = 0; compared < 300; seed++)
        {
            var (writer, reader) = AvscCrossCheckTests.Evolution(seed);
            if (PromotesBetweenStringAndBytes((RecordSchema)writer, (RecordSchema)reader))
            {
                continue;
            }

            compared++;
            var datum = new RandomAvro(seed).NextDatum(writer);
            var bytes = DatumWriter.Encode(writer, datum);
            var ours = new DatumReader(writer, reader).Read(bytes);
            var theirs = ApacheAvro.FromApache(reader, ApacheAvro.Decode(ApacheAvro.Parse(writer), ApacheAvro.Parse(reader), bytes));
            Assert.True(DatumEquality.Equal(ours, theirs), $"seed {seed}:\n{writer.ToJson()}\n{reader.ToJson()}\nours: {JsonEncoding.ToJson(reader, ours)}");
        }
    }

    private static bool PromotesBetweenStringAndBytes(RecordSchema writer, RecordSchema reader)
    {
        static SchemaKind Kind(Schema s) => s is UnionSchema { NullableOf: { } inner } ? inner.Kind : s.Kind;
        return reader.Fields.Any(r => writer.GetField(r.Name) is { } w && Kind(w.Schema) != Kind(r.Schema)
            && Kind(w.Schema) is SchemaKind.String or SchemaKind.Bytes && Kind(r.Schema) is SchemaKind.String or SchemaKind.Bytes);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("deflate")]
    [InlineData("snappy")]
    [InlineData("zstandard")]
    public void ContainerFilesCrossBothWays(string codec)
    {
        for (var seed = 0; seed < 30; seed++)
        {
            var random = new RandomAvro(40_000 + seed);
            var inner = random.NextSchema();
            if (!ApacheParses(inner))
            {
                continue;
            }

            var schema = (RecordSchema)Schema.Parse($"{{\"type\":\"record\",\"name\":\"Row\",\"fields\":[{{\"name\":\"value\",\"type\":{inner.ToJson()}}},{{\"name\":\"n\",\"type\":\"long\"}}]}}");
            var datums = Enumerable.Range(0, 300).Select(n => (object?)new GenericRecord(schema, [random.NextDatum(inner), (long)n])).ToList();
            var apache = ApacheAvro.Parse(schema);

            using var ours = new MemoryStream();
            using (var writer = new ContainerWriter(ours, schema, codec, blockSize: 2048, leaveOpen: true))
            {
                datums.ForEach(writer.Append);
            }

            ours.Position = 0;
            var read = ApacheAvro.ReadContainer(ours, schema, out var written);
            Assert.Equal(codec, written);
            Assert.True(datums.Count == read.Count && datums.Zip(read).All(p => DatumEquality.Equal(p.First, p.Second)), $"Apache read ours differently, seed {seed}");

            using var theirs = new MemoryStream();
            using (var writer = global::Avro.File.DataFileWriter<object?>.OpenWriter(
                new global::Avro.Generic.GenericDatumWriter<object?>(apache), theirs, ApacheAvro.Codec(codec), leaveOpen: true))
            {
                writer.SetSyncInterval(2048);
                datums.ForEach(d => writer.Append(ApacheAvro.ToApache(apache, d)));
            }

            theirs.Position = 0;
            using var ourReader = ContainerReader.Open(theirs);
            Assert.Equal(codec, ourReader.Codec);
            var back = ourReader.ReadAll().ToList();
            Assert.True(datums.Count == back.Count && datums.Zip(back).All(p => DatumEquality.Equal(p.First, p.Second)), $"we read Apache's file differently, seed {seed}");
        }
    }

    [Fact]
    public void ASnappyBlockWithAWrongChecksumIsRefused()
    {
        var schema = Schema.Parse("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"s\",\"type\":\"string\"}]}");
        using var file = new MemoryStream();
        using (var writer = new ContainerWriter(file, schema, "snappy", leaveOpen: true, sync: new byte[16]))
        {
            writer.Append(new GenericRecord((RecordSchema)schema, ["hello snappy"]));
        }

        var bytes = file.ToArray();
        bytes[^17] ^= 0xFF; // the last byte of the block's CRC, just before the 16-byte sync marker
        using var reader = ContainerReader.Open(new MemoryStream(bytes));
        var error = Assert.Throws<AvroDataException>(() => reader.ReadAll().ToList());
        Assert.Contains("CRC-32", error.Message);
    }
}
