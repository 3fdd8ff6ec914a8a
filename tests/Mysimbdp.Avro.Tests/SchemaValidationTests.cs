namespace Mysimbdp.Avro.Tests;

/// <summary>Invalid schemas are refused with every problem, each with its path.</summary>
public sealed class SchemaValidationTests
{
    private static IReadOnlyList<SchemaError> Errors(string json, bool strict = true) =>
        Assert.Throws<SchemaParseException>(() => Schema.Parse(json, strict ? SchemaParseOptions.StrictOptions : SchemaParseOptions.Lenient)).Errors;

    [Theory]
    [InlineData("{\"type\":\"record\",\"name\":\"1st\",\"fields\":[]}", "name", "not a valid name")]
    [InlineData("{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"a..b\",\"fields\":[]}", "namespace", "not a valid namespace")]
    [InlineData("{\"type\":\"record\",\"name\":\"int\",\"fields\":[]}", "name", "primitive type name")]
    [InlineData("{\"type\":\"record\",\"name\":\"R\"}", "", "missing attribute 'fields'")]
    [InlineData("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"a\",\"type\":\"int\"}]}", "fields[1].name", "already has a field named 'a'")]
    [InlineData("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\"}]}", "fields[0]", "missing attribute 'type'")]
    [InlineData("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\",\"default\":\"x\"}]}", "fields[0].default", "not a 32-bit integer")]
    [InlineData("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\",\"order\":\"sideways\"}]}", "fields[0].order", "ascending")]
    [InlineData("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"A\"]}", "symbols[1]", "duplicate symbol")]
    [InlineData("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"],\"default\":\"B\"}", "default", "not one of the enum's symbols")]
    [InlineData("{\"type\":\"fixed\",\"name\":\"F\",\"size\":-1}", "size", "non-negative")]
    [InlineData("{\"type\":\"array\"}", "", "missing attribute 'items'")]
    [InlineData("[\"int\",\"int\"]", "[1]", "already has a branch of type 'int'")]
    [InlineData("[\"null\",[\"int\"]]", "[1]", "may not immediately contain another union")]
    [InlineData("\"Unknown\"", "", "unknown type 'Unknown'")]
    [InlineData("{\"type\":\"int\",\"logicalType\":\"timestamp-millis\"}", "logicalType", "annotates long, not int")]
    [InlineData("{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":0}", "precision", "positive integer")]
    [InlineData("{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":4,\"scale\":5}", "scale", "from 0 to the precision")]
    [InlineData("{\"type\":\"fixed\",\"name\":\"D\",\"size\":2,\"logicalType\":\"decimal\",\"precision\":9}", "precision", "holds at most 4 digits")]
    [InlineData("{\"type\":\"string\",\"logicalType\":\"json\"}", "logicalType", "unknown logical type 'json'")]
    [InlineData("{\"type\":\"fixed\",\"name\":\"U\",\"size\":8,\"logicalType\":\"uuid\"}", "logicalType", "string or fixed of size 16")]
    [InlineData("42", "", "a schema is a JSON string, object or array")]
    [InlineData("{\"type\":", "", "not valid JSON")]
    public void EachProblemHasItsPath(string json, string path, string fragment)
    {
        var errors = Errors(json);
        Assert.Contains(errors, e => e.Path == path && e.Message.Contains(fragment, StringComparison.Ordinal));
    }

    [Fact]
    public void AllProblemsAreReportedAtOnce()
    {
        var errors = Errors("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"bad-1\",\"type\":\"int\"},{\"name\":\"ok\",\"type\":\"Nope\"},{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"9\"]}}]}");
        Assert.Equal(["fields[0].name", "fields[1].type", "fields[2].type.symbols[0]"], errors.Select(e => e.Path));
    }

    [Fact]
    public void LogicalTypeProblemsAreIgnoredWhenReadingData()
    {
        var schema = Schema.Parse("{\"type\":\"int\",\"logicalType\":\"timestamp-millis\"}", SchemaParseOptions.Lenient);
        Assert.Null(schema.LogicalType);
        Assert.Equal(SchemaKind.Int, schema.Kind);
    }

    [Fact]
    public void NamesResolveAgainstTheEnclosingNamespace()
    {
        var schema = (RecordSchema)Schema.Parse("{\"type\":\"record\",\"name\":\"Outer\",\"namespace\":\"a.b\",\"fields\":[" +
            "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"X\"]}}," +
            "{\"name\":\"again\",\"type\":\"E\"}," +
            "{\"name\":\"full\",\"type\":{\"type\":\"fixed\",\"name\":\"c.F\",\"size\":1}}," +
            "{\"name\":\"ref\",\"type\":\"c.F\"}]}");
        Assert.Equal("a.b.E", ((EnumSchema)schema.Fields[0].Schema).FullName);
        Assert.Same(schema.Fields[0].Schema, schema.Fields[1].Schema);
        Assert.Equal("c.F", ((FixedSchema)schema.Fields[2].Schema).FullName);
        Assert.Same(schema.Fields[2].Schema, schema.Fields[3].Schema);
    }
}
