namespace Mysimbdp.Avro.Tests;

public sealed class ResolutionTests
{
    private static object? Resolve(string writer, string reader, object? datum)
    {
        var w = Schema.Parse(writer);
        return new DatumReader(w, Schema.Parse(reader)).Read(DatumWriter.Encode(w, datum));
    }

    [Theory]
    [InlineData("\"int\"", "\"long\"", 7, 7L)]
    [InlineData("\"int\"", "\"float\"", 7, 7f)]
    [InlineData("\"int\"", "\"double\"", 7, 7d)]
    [InlineData("\"long\"", "\"double\"", 1L << 40, (double)(1L << 40))]
    [InlineData("\"float\"", "\"double\"", 1.5f, 1.5d)]
    public void PrimitivesArePromoted(string writer, string reader, object value, object expected) =>
        Assert.Equal(expected, Resolve(writer, reader, value));

    [Fact]
    public void StringsAndBytesReadAsEachOther()
    {
        Assert.Equal("h\u00e9", Resolve("\"bytes\"", "\"string\"", "h\u00e9"u8.ToArray()));
        Assert.Equal("h\u00e9"u8.ToArray(), Resolve("\"string\"", "\"bytes\"", "h\u00e9"));
    }

    [Fact]
    public void RecordFieldsAreMatchedByNameWithDefaultsAndAliases()
    {
        const string writer = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"gone\",\"type\":\"string\"},{\"name\":\"old_b\",\"type\":\"long\"}]}";
        const string reader = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"b\",\"type\":\"long\",\"aliases\":[\"old_b\"]},{\"name\":\"c\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"a\",\"type\":\"long\"},{\"name\":\"d\",\"type\":{\"type\":\"array\",\"items\":\"int\"},\"default\":[1,2]}]}";
        var w = (RecordSchema)Schema.Parse(writer);
        var record = (GenericRecord)Resolve(writer, reader, new GenericRecord(w, [1, "skipped", 9L]))!;
        Assert.Equal(9L, record["b"]);
        Assert.Null(record["c"]);
        Assert.Equal(1L, record["a"]);
        Assert.Equal([1, 2], ((List<object?>)record["d"]!).Cast<int>());
    }

    [Fact]
    public void AMissingFieldWithoutDefaultIsAResolutionError()
    {
        var error = Assert.Throws<SchemaResolutionException>(() => new DatumReader(
            Schema.Parse("{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}"),
            Schema.Parse("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]}")));
        Assert.Contains("at x: the reader's field has no default", error.Message);
    }

    [Fact]
    public void AnUnknownEnumSymbolTakesTheReadersDefaultOrFailsWhenItOccurs()
    {
        const string writer = "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\",\"NEW\"]}";
        var w = (EnumSchema)Schema.Parse(writer);
        Assert.Equal("UNKNOWN", ((GenericEnumSymbol)Resolve(writer, "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"UNKNOWN\",\"A\",\"B\"],\"default\":\"UNKNOWN\"}", new GenericEnumSymbol(w, "NEW"))!).Symbol);

        const string strict = "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}";
        Assert.Equal("B", ((GenericEnumSymbol)Resolve(writer, strict, new GenericEnumSymbol(w, "B"))!).Symbol);
        Assert.Contains("'NEW' is not in the reader's enum", Assert.Throws<AvroDataException>(() => Resolve(writer, strict, new GenericEnumSymbol(w, "NEW"))).Message);
    }

    [Fact]
    public void UnionsResolveBranchByBranch()
    {
        Assert.Equal(5L, Resolve("[\"null\",\"int\"]", "[\"null\",\"long\"]", 5));
        Assert.Equal(5L, Resolve("\"int\"", "[\"null\",\"long\"]", 5));
        Assert.Equal(5, Resolve("[\"null\",\"int\"]", "\"int\"", 5));
        Assert.Contains("matches nothing", Assert.Throws<AvroDataException>(() => Resolve("[\"null\",\"int\"]", "\"int\"", null)).Message);
        Assert.Equal(5, Resolve("\"int\"", "[\"long\",\"int\"]", 5));
    }

    [Fact]
    public void SchemasThatCannotMatchAreRefusedUpFront() =>
        Assert.Throws<SchemaResolutionException>(() => new DatumReader(Schema.Parse("\"string\""), Schema.Parse("\"int\"")));
}
