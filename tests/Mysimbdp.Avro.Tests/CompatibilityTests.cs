namespace Mysimbdp.Avro.Tests;

public sealed class CompatibilityTests
{
    private const string V1 = "{\"type\":\"record\",\"name\":\"Reading\",\"fields\":[{\"name\":\"id\",\"type\":\"int\"},{\"name\":\"speed\",\"type\":\"float\"},{\"name\":\"kind\",\"type\":{\"type\":\"enum\",\"name\":\"Kind\",\"symbols\":[\"car\",\"bus\"]}}]}";

    /// <summary>V1 with one more field (the edit is checked, so a typo cannot leave the schema unchanged).</summary>
    private static string With(string field)
    {
        var next = V1[..^2] + "," + field + "]}";
        Assert.NotEqual(V1, next);
        Assert.Equal(4, ((RecordSchema)Schema.Parse(next)).Fields.Count);
        return next;
    }

    private static IReadOnlyList<string> Check(string next, CompatibilityMode mode) => SchemaCompatibility.Check(Schema.Parse(V1), Schema.Parse(next), mode);

    [Fact]
    public void AddingAFieldWithADefaultIsFullyCompatible() =>
        Assert.Empty(Check(With("{\"name\":\"lane\",\"type\":[\"null\",\"int\"],\"default\":null}"), CompatibilityMode.Full));

    [Fact]
    public void AddingAFieldWithoutADefaultBreaksBackwardCompatibility()
    {
        var next = With("{\"name\":\"lane\",\"type\":\"int\"}");
        Assert.Contains(Check(next, CompatibilityMode.Backward), p => p.Contains("lane: the reader's field has no default", StringComparison.Ordinal));
        Assert.Empty(Check(next, CompatibilityMode.Forward));
    }

    [Fact]
    public void PromotingIsBackwardButNotForwardCompatible()
    {
        var next = V1.Replace("\"type\":\"float\"", "\"type\":\"double\"", StringComparison.Ordinal);
        Assert.Empty(Check(next, CompatibilityMode.Backward));
        Assert.Contains(Check(next, CompatibilityMode.Forward), p => p.Contains("speed", StringComparison.Ordinal));
    }

    [Fact]
    public void AddingAnEnumSymbolBreaksForwardCompatibilityUnlessTheOldEnumHadADefault()
    {
        var next = V1.Replace("[\"car\",\"bus\"]", "[\"car\",\"bus\",\"truck\"]", StringComparison.Ordinal);
        Assert.Empty(Check(next, CompatibilityMode.Backward));
        Assert.Contains(Check(next, CompatibilityMode.Forward), p => p.Contains("lacks truck", StringComparison.Ordinal));

        var withDefault = V1.Replace("[\"car\",\"bus\"]}", "[\"car\",\"bus\"],\"default\":\"car\"}", StringComparison.Ordinal);
        Assert.Empty(SchemaCompatibility.Check(Schema.Parse(withDefault), Schema.Parse(next), CompatibilityMode.Forward));
    }

    [Fact]
    public void ChangingATypeIsIncompatibleBothWays()
    {
        var next = V1.Replace("{\"name\":\"id\",\"type\":\"int\"}", "{\"name\":\"id\",\"type\":\"string\"}", StringComparison.Ordinal);
        var problems = Check(next, CompatibilityMode.Full);
        Assert.Contains(problems, p => p.StartsWith("backward: id", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("forward: id", StringComparison.Ordinal));
    }

    [Fact]
    public void EveryEvolutionThatReadsWithoutErrorIsBackwardCompatibleWhenTheCheckSaysSo()
    {
        for (var seed = 0; seed < 200; seed++)
        {
            var (writer, reader) = AvscCrossCheckTests.Evolution(seed);
            var compatible = SchemaCompatibility.CanRead(writer, reader).Count == 0;
            var random = new RandomAvro(seed);
            var datumReader = compatible ? new DatumReader(writer, reader) : null;
            for (var i = 0; i < 20 && compatible; i++)
            {
                datumReader!.Read(DatumWriter.Encode(writer, random.NextDatum(writer)));
            }
        }
    }
}
