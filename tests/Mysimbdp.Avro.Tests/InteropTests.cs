using System.Text.Json;

namespace Mysimbdp.Avro.Tests;

/// <summary>Avro's interop container files decode to the records their JSON companions list.</summary>
public sealed class InteropTests
{
    private static string Reference(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "Reference", "interop", .. parts]);

    private static List<object?> ReadAll(string path)
    {
        using var reader = ContainerReader.Open(File.OpenRead(path));
        return reader.ReadAll().ToList();
    }

    [Theory]
    [InlineData("weather.avro", "null")]
    [InlineData("weather-deflate.avro", "deflate")]
    public void WeatherFilesHoldTheRecordsOfWeatherJson(string file, string codec)
    {
        using var reader = ContainerReader.Open(File.OpenRead(Reference(file)));
        Assert.Equal(codec, reader.Codec);
        var records = reader.ReadAll().Cast<GenericRecord>().ToList();
        var expected = File.ReadAllLines(Reference("weather.json")).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement).ToList();

        Assert.Equal(expected.Count, records.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].GetProperty("station").GetString(), records[i]["station"]);
            Assert.Equal(expected[i].GetProperty("time").GetInt64(), (long)records[i]["time"]!);
            Assert.Equal(expected[i].GetProperty("temp").GetInt32(), (int)records[i]["temp"]!);
        }
    }

    [Fact]
    public void TheSimpleFileHoldsItsGreetings()
    {
        var records = ReadAll(Reference("simple", "data.avro")).Cast<GenericRecord>().Select(r => r["text"]).ToList();
        Assert.Equal(["hello", "bonjour", "guten tag"], records);
        Assert.Equal(File.ReadAllText(Reference("simple", "schema.json")).Replace(" ", "").Replace("\n", ""),
            ContainerReader.Open(File.OpenRead(Reference("simple", "data.avro"))).WriterSchema.ToJson());
    }

    [Fact]
    public void TheUnionFileDecodesAsAvscDecodesIt()
    {
        var path = Reference("withUnion", "data.avro");
        using var reader = ContainerReader.Open(File.OpenRead(path));
        var schema = reader.WriterSchema;
        var ours = reader.ReadAll().Select(r => JsonSerializer.Deserialize<JsonElement>(JsonEncoding.ToJson(schema, r)).GetRawText()).ToList();
        var theirs = NodeOracle.Call("read-container", [], path).Where(a => a.TryGetProperty("datum", out _)).Select(a => a.GetProperty("datum").GetRawText()).ToList();

        Assert.NotEmpty(ours);
        Assert.Equal(theirs, ours);
    }
}
