using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mysimbdp.Avro.Tests;

/// <summary>The library against npm avsc on the same schemas and datums (Avro's JSON encoding is the common language).</summary>
public sealed class AvscCrossCheckTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private static List<(Schema Schema, object? Datum)> Samples(int count, int seedBase)
    {
        var samples = new List<(Schema, object?)>();
        for (var seed = seedBase; samples.Count < count; seed++)
        {
            var random = new RandomAvro(seed, safeLongs: true);
            var schema = random.NextSchema();
            for (var i = 0; i < 3; i++)
            {
                samples.Add((schema, random.NextDatum(schema)));
            }
        }

        return samples;
    }

    [Fact]
    public void OurEncodingsAreByteForByteAvscs()
    {
        var samples = Samples(600, 1000);
        var answers = NodeOracle.Call("encode", samples.Select(s => new { schema = Json(s.Schema.ToJson()), datum = Json(JsonEncoding.ToJson(s.Schema, s.Datum)) }));

        Assert.Equal(samples.Count, answers.Count);
        for (var i = 0; i < samples.Count; i++)
        {
            var (schema, datum) = samples[i];
            Assert.False(answers[i].TryGetProperty("error", out var error), $"avsc refused sample {i} ({schema.ToJson()}): {error}");
            Assert.True(Convert.ToHexStringLower(DatumWriter.Encode(schema, datum)) == answers[i].GetProperty("hex").GetString(),
                $"sample {i}: {schema.ToJson()}\n{JsonEncoding.ToJson(schema, datum)}");
        }
    }

    [Fact]
    public void AvscDecodesOurBytesToTheSameDatums()
    {
        var samples = Samples(600, 5000);
        var answers = NodeOracle.Call("decode", samples.Select(s => new { schema = Json(s.Schema.ToJson()), hex = Convert.ToHexStringLower(DatumWriter.Encode(s.Schema, s.Datum)) }));

        for (var i = 0; i < samples.Count; i++)
        {
            var (schema, datum) = samples[i];
            Assert.False(answers[i].TryGetProperty("error", out var error), $"sample {i}: {error}");
            var theirs = JsonEncoding.FromJson(schema, answers[i].GetProperty("datum"));
            Assert.True(DatumEquality.Equal(datum, theirs), $"sample {i}: {schema.ToJson()}\nours:  {JsonEncoding.ToJson(schema, datum)}\ntheirs: {answers[i].GetProperty("datum")}");
        }
    }

    [Theory]
    [InlineData("null")]
    [InlineData("deflate")]
    public void ContainerFilesCrossBothWays(string codec)
    {
        var folder = Directory.CreateTempSubdirectory("avro-cross-");
        try
        {
            for (var seed = 0; seed < 12; seed++)
            {
                // avsc reads container files as a Node object stream, where a null datum would end the stream,
                // so the random schema is wrapped in a record (as tenants' files are anyway).
                var random = new RandomAvro(9000 + seed, safeLongs: true);
                var inner = random.NextSchema();
                var schema = Schema.Parse($"{{\"type\":\"record\",\"name\":\"Wrapper\",\"fields\":[{{\"name\":\"value\",\"type\":{inner.ToJson()}}},{{\"name\":\"nothing\",\"type\":\"null\"}}]}}");
                var datums = Enumerable.Range(0, 40).Select(_ => (object?)new GenericRecord((RecordSchema)schema, [random.NextDatum(inner), null])).ToList();

                var ours = Path.Combine(folder.FullName, $"ours-{seed}.avro");
                using (var writer = new ContainerWriter(File.Create(ours), schema, codec, blockSize: 256))
                {
                    datums.ForEach(writer.Append);
                }

                var read = NodeOracle.Call("read-container", [], ours);
                var theirDatums = read.Where(a => a.TryGetProperty("datum", out _)).Select(a => JsonEncoding.FromJson(schema, a.GetProperty("datum"))).ToList();
                Assert.Equal(datums.Count, theirDatums.Count);
                Assert.True(datums.Zip(theirDatums).All(p => DatumEquality.Equal(p.First, p.Second)), $"avsc read ours differently, seed {seed}");

                var schemaFile = Path.Combine(folder.FullName, $"schema-{seed}.json");
                File.WriteAllText(schemaFile, schema.ToJson());
                var theirs = Path.Combine(folder.FullName, $"theirs-{seed}.avro");
                var lines = datums.Select(d => (object)Json(JsonEncoding.ToJson(schema, d)));
                NodeOracle.Call("write-container", lines, schemaFile, theirs, codec);
                using var reader = ContainerReader.Open(File.OpenRead(theirs));
                Assert.Equal(codec, reader.Codec);
                var back = reader.ReadAll().ToList();
                Assert.True(datums.Count == back.Count && datums.Zip(back).All(p => DatumEquality.Equal(p.First, p.Second)), $"we read avsc's file differently, seed {seed}");
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void ResolvingAnEvolvedSchemaGivesWhatAvscGives()
    {
        var cases = new List<(Schema Writer, Schema Reader, object? Datum)>();
        for (var seed = 0; cases.Count < 300; seed++)
        {
            var (writer, reader) = Evolution(seed);
            var random = new RandomAvro(seed, safeLongs: true);
            cases.Add((writer, reader, random.NextDatum(writer)));
        }

        var answers = NodeOracle.Call("resolve", cases.Select(c => new
        {
            writer = Json(c.Writer.ToJson()),
            reader = Json(c.Reader.ToJson()),
            hex = Convert.ToHexStringLower(DatumWriter.Encode(c.Writer, c.Datum)),
        }));

        for (var i = 0; i < cases.Count; i++)
        {
            var (writer, reader, datum) = cases[i];
            Assert.False(answers[i].TryGetProperty("error", out var error), $"case {i}: avsc: {error}\n{writer.ToJson()}\n{reader.ToJson()}");
            var ours = new DatumReader(writer, reader).Read(DatumWriter.Encode(writer, datum));
            var theirs = JsonEncoding.FromJson(reader, answers[i].GetProperty("datum"));
            Assert.True(DatumEquality.Equal(ours, theirs), $"case {i}:\n{writer.ToJson()}\n{reader.ToJson()}\nours:   {JsonEncoding.ToJson(reader, ours)}\ntheirs: {answers[i].GetProperty("datum")}");
        }
    }

    /// <summary>A record and an evolution of it: fields dropped, added with defaults, promoted, reordered, widened to nullable, enum symbols added.</summary>
    internal static (Schema Writer, Schema Reader) Evolution(int seed)
    {
        var random = new Random(seed);
        string[] types = ["int", "long", "float", "string", "bytes", "boolean", "double"];
        var fields = new JsonArray();
        var count = 1 + random.Next(6);
        for (var i = 0; i < count; i++)
        {
            JsonNode type = random.Next(5) == 0
                ? new JsonObject { ["type"] = "enum", ["name"] = $"E{i}", ["symbols"] = new JsonArray("A", "B", "C") }
                : types[random.Next(types.Length)];
            fields.Add(new JsonObject { ["name"] = $"f{i}", ["type"] = random.Next(4) == 0 ? new JsonArray("null", type) : type });
        }

        var writer = new JsonObject { ["type"] = "record", ["name"] = "Row", ["fields"] = fields };
        var readerFields = new List<JsonNode>();
        foreach (var field in fields)
        {
            var copy = field!.DeepClone().AsObject();
            switch (random.Next(8))
            {
                case 0: continue;
                case 1 when copy["type"] is JsonValue v:
                    var promoted = v.GetValue<string>() switch
                    {
                        "int" => new[] { "long", "float", "double" }[random.Next(3)],
                        "long" => random.Next(2) == 0 ? "double" : "float",
                        "float" => "double",
                        "string" => "bytes",
                        "bytes" => "string",
                        var same => same,
                    };
                    copy["type"] = promoted;
                    break;
                case 2 when copy["type"] is JsonValue or JsonObject:
                    copy["type"] = new JsonArray("null", copy["type"]!.DeepClone());
                    break;
                case 3 when copy["type"] is JsonObject e:
                    e["symbols"] = new JsonArray("C", "A", "B", "D");
                    break;
                case 4 when copy["type"] is JsonObject e:
                    e["symbols"] = new JsonArray("A", "B");
                    e["default"] = "A";
                    break;
            }

            readerFields.Add(copy);
        }

        if (random.Next(2) == 0)
        {
            readerFields.Add(new JsonObject { ["name"] = "added_int", ["type"] = "int", ["default"] = 42 });
        }

        if (random.Next(2) == 0)
        {
            readerFields.Add(new JsonObject { ["name"] = "added_note", ["type"] = new JsonArray("null", "string"), ["default"] = null });
        }

        var shuffled = readerFields.OrderBy(_ => random.Next()).ToArray();
        var reader = new JsonObject { ["type"] = "record", ["name"] = "Row", ["fields"] = new JsonArray(shuffled) };
        return (Schema.Parse(writer.ToJsonString()), Schema.Parse(reader.ToJsonString()));
    }
}
