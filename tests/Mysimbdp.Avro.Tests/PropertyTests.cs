namespace Mysimbdp.Avro.Tests;

/// <summary>Round trips over random schemas and datums (seeded; the seed is in every failure message).</summary>
public sealed class PropertyTests
{
    private const int Schemas = 300;

    [Fact]
    public void SchemasSurviveWritingAndParsingAgain()
    {
        for (var seed = 0; seed < Schemas; seed++)
        {
            var schema = new RandomAvro(seed).NextSchema();
            var again = Schema.Parse(schema.ToJson());
            Assert.True(schema.CanonicalForm == again.CanonicalForm, $"seed {seed}: {schema.ToJson()}");
            Assert.Equal(schema.Fingerprint64, again.Fingerprint64);
        }
    }

    [Fact]
    public void DatumsSurviveEncodingAndDecoding()
    {
        for (var seed = 0; seed < Schemas; seed++)
        {
            var random = new RandomAvro(seed);
            var schema = random.NextSchema();
            var reader = new DatumReader(schema);
            for (var i = 0; i < 20; i++)
            {
                var datum = random.NextDatum(schema);
                var bytes = DatumWriter.Encode(schema, datum);
                var back = reader.Read(bytes);
                Assert.True(DatumEquality.Equal(datum, back), $"seed {seed} datum {i}: {schema.ToJson()}\n{JsonEncoding.ToJson(schema, datum)}\n{JsonEncoding.ToJson(schema, back)}");
                Assert.Equal(JsonEncoding.ToJson(schema, datum), JsonEncoding.ToJson(schema, JsonEncoding.FromJson(schema, System.Text.Json.JsonDocument.Parse(JsonEncoding.ToJson(schema, datum)).RootElement)));
            }
        }
    }

    [Theory]
    [InlineData("null")]
    [InlineData("deflate")]
    public void ContainerFilesSurviveWritingAndReading(string codec)
    {
        for (var seed = 0; seed < 60; seed++)
        {
            var random = new RandomAvro(seed);
            var schema = random.NextSchema();
            var datums = Enumerable.Range(0, 50).Select(_ => random.NextDatum(schema)).ToList();
            using var file = new MemoryStream();
            using (var writer = new ContainerWriter(file, schema, codec, blockSize: 64, leaveOpen: true))
            {
                datums.ForEach(writer.Append);
            }

            file.Position = 0;
            using var reader = ContainerReader.Open(file);
            Assert.Equal(schema.CanonicalForm, reader.WriterSchema.CanonicalForm);
            var back = reader.ReadAll().ToList();
            Assert.Equal(datums.Count, back.Count);
            for (var i = 0; i < datums.Count; i++)
            {
                Assert.True(DatumEquality.Equal(datums[i], back[i]), $"seed {seed} datum {i}: {schema.ToJson()}\n{JsonEncoding.ToJson(schema, datums[i])}\n{JsonEncoding.ToJson(schema, back[i])}");
            }
        }
    }

    [Fact]
    public void EveryProperPrefixOfAnEncodingFailsCleanly()
    {
        for (var seed = 0; seed < 150; seed++)
        {
            var random = new RandomAvro(seed);
            var schema = random.NextSchema();
            var reader = new DatumReader(schema);
            var bytes = DatumWriter.Encode(schema, random.NextDatum(schema));
            for (var length = 0; length < bytes.Length; length++)
            {
                var prefix = bytes[..length];
                Assert.Throws<AvroDataException>(() => reader.Read(prefix));
            }
        }
    }

    [Fact]
    public void CorruptedBytesDecodeOrFailCleanlyAndQuickly()
    {
        var failures = 0;
        for (var seed = 0; seed < 300; seed++)
        {
            var random = new RandomAvro(seed);
            var noise = new Random(seed);
            var schema = random.NextSchema();
            var reader = new DatumReader(schema);
            var bytes = DatumWriter.Encode(schema, random.NextDatum(schema));
            if (bytes.Length == 0)
            {
                continue;
            }

            for (var trial = 0; trial < 10; trial++)
            {
                var corrupt = bytes.ToArray();
                corrupt[noise.Next(corrupt.Length)] = (byte)noise.Next(256);
                try
                {
                    reader.Read(corrupt);
                }
                catch (AvroDataException)
                {
                    failures++;
                }
            }
        }

        Assert.True(failures > 100, $"only {failures} corruptions were detected; the test is not exercising errors");
    }

    [Fact]
    public void TheFastPathDecodesWhatTheGenericReaderDecodes()
    {
        for (var seed = 0; seed < Schemas; seed++)
        {
            var random = new RandomAvro(seed);
            if (random.NextSchema() is not RecordSchema record)
            {
                continue;
            }

            var generic = new DatumReader(record);
            var fast = new RecordDecoder(record, record);
            for (var i = 0; i < 10; i++)
            {
                var bytes = DatumWriter.Encode(record, random.NextDatum(record));
                var expected = (GenericRecord)generic.Read(bytes)!;
                var sink = new CollectingSink(record.Fields.Count);
                var decoder = new BinaryDecoder(bytes);
                fast.Read(ref decoder, sink);
                Assert.True(decoder.AtEnd);
                for (var f = 0; f < record.Fields.Count; f++)
                {
                    Assert.True(DatumEquality.Equal(Normalize(expected.Values[f]), sink.Values[f]), $"seed {seed}, field {f}");
                }

                var source = new ArraySource(expected.Values);
                var encoder = new BinaryEncoder();
                new RecordEncoder(record).Write(source, encoder);
                Assert.Equal(bytes, encoder.ToArray());
            }
        }
    }

    private static object? Normalize(object? value) => value switch
    {
        GenericEnumSymbol e => e.Symbol,
        GenericFixed f => f.Value,
        _ => value,
    };

    /// <summary>Collects what the fast path delivers, in generic form, to compare with the generic reader.</summary>
    internal sealed class CollectingSink(int fields) : IRecordSink
    {
        public object?[] Values { get; } = new object?[fields];

        public void OnNull(int field) => Values[field] = null;

        public void OnBoolean(int field, bool value) => Values[field] = value;

        public void OnInt(int field, int value) => Values[field] = value;

        public void OnLong(int field, long value) => Values[field] = value;

        public void OnFloat(int field, float value) => Values[field] = value;

        public void OnDouble(int field, double value) => Values[field] = value;

        public void OnBytes(int field, ReadOnlySpan<byte> value) => Values[field] = value.ToArray();

        public void OnString(int field, ReadOnlySpan<byte> utf8) => Values[field] = System.Text.Encoding.UTF8.GetString(utf8);

        public void OnEnum(int field, int index, string symbol) => Values[field] = symbol;

        public void OnFixed(int field, ReadOnlySpan<byte> value) => Values[field] = value.ToArray();

        public void OnValue(int field, object? value) => Values[field] = value;
    }

    /// <summary>Serves generic values through the fast encoder's source interface.</summary>
    internal sealed class ArraySource(object?[] values) : IRecordSource
    {
        public bool IsNull(int field) => values[field] is null;

        public bool GetBoolean(int field) => (bool)values[field]!;

        public long GetLong(int field) => Convert.ToInt64(values[field], System.Globalization.CultureInfo.InvariantCulture);

        public double GetDouble(int field) => Convert.ToDouble(values[field], System.Globalization.CultureInfo.InvariantCulture);

        public ReadOnlySpan<byte> GetBytes(int field) => values[field] switch
        {
            string s => System.Text.Encoding.UTF8.GetBytes(s),
            GenericEnumSymbol e => System.Text.Encoding.UTF8.GetBytes(e.Symbol),
            GenericFixed f => f.Value,
            var v => (byte[])v!,
        };

        public object? GetValue(int field) => values[field];
    }
}
