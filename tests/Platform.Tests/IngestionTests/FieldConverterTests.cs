using System.Text;
using Mysimbdp.Avro;
using Coredms;
using Ingestion.Conversion;

namespace Platform.Tests.IngestionTests;

public sealed class FieldConverterTests
{
    private static (object? Value, RowProblem? Problem) Convert(string fieldType, string text, Dictionary<string, string[]>? formats = null)
    {
        var record = (RecordSchema)Schema.Parse($"{{\"type\":\"record\",\"name\":\"R\",\"fields\":[{{\"name\":\"f\",\"type\":{fieldType}}}]}}", SchemaParseOptions.StrictOptions);
        var table = new TableSchema("k", "r", Catalog.Datasets.AvroColumns.From(record), ["f"]);
        var row = new RowBatch(table, 1);
        var converter = new FieldConverter(record.Fields[0], 0, formats ?? []);
        var problem = converter.Convert(Encoding.UTF8.GetBytes(text), row);
        return (problem is null ? row.GetValue(0, 0) : null, problem);
    }

    [Theory]
    [InlineData("1700000000123")]
    [InlineData("123456789012345678901")]
    [InlineData("-2147483649")]
    public void IntegersOutsideIntAreQuarantinedAsNotFitting(string text)
    {
        var problem = Convert("\"int\"", text).Problem!.Value;
        Assert.Equal(ProblemRules.Range, problem.Rule);
        Assert.Equal($"'{text}' does not fit int (-2147483648 to 2147483647)", problem.Message);
    }

    [Fact]
    public void ALongTooBigForLongSaysSo() =>
        Assert.Contains("does not fit long", Convert("\"long\"", "123456789012345678901").Problem!.Value.Message);

    [Theory]
    [InlineData("\"int\"", "42", 42)]
    [InlineData("\"int\"", "-2147483648", int.MinValue)]
    [InlineData("\"long\"", "1700000000123", 1700000000123L)]
    [InlineData("\"double\"", "1e3", 1000d)]
    [InlineData("\"double\"", "-0.25", -0.25d)]
    [InlineData("\"float\"", "1.5", 1.5f)]
    [InlineData("\"boolean\"", "Y", true)]
    [InlineData("\"boolean\"", "no", false)]
    [InlineData("\"boolean\"", "TRUE", true)]
    [InlineData("\"string\"", "h\u00e9llo", "h\u00e9llo")]
    [InlineData("\"string\"", "", "")]
    public void ValuesConvertByTheirType(string type, string text, object expected) => Assert.Equal(expected, Convert(type, text).Value);

    [Theory]
    [InlineData("\"int\"", "4x", "'4x' is not an int")]
    [InlineData("\"double\"", "fast", "'fast' is not a number")]
    [InlineData("\"boolean\"", "maybe", "is not a boolean")]
    [InlineData("\"int\"", "", "is not nullable")]
    [InlineData("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"car\",\"bus\"]}", "Car", "'Car' is not one of car, bus")]
    [InlineData("{\"type\":\"int\",\"logicalType\":\"date\"}", "2026-02-30", "is not a date (yyyy-MM-dd)")]
    [InlineData("{\"type\":\"int\",\"logicalType\":\"time-millis\"}", "8.05.09", "'8.05.09' is not a time")]
    [InlineData("{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}", "03/01/2026", "is not a timestamp")]
    [InlineData("{\"type\":\"string\",\"logicalType\":\"uuid\"}", "not-a-uuid", "is not a UUID")]
    [InlineData("{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":5,\"scale\":2}", "1234.5", "does not fit decimal(5, 2)")]
    [InlineData("{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":5,\"scale\":2}", "1.234", "more than 2 decimal places")]
    [InlineData("\"bytes\"", "***", "is not base64 data")]
    [InlineData("{\"type\":\"array\",\"items\":\"int\"}", "[1,\"x\"]", "is not JSON for")]
    public void BadValuesAreExplained(string type, string text, string fragment) =>
        Assert.Contains(fragment, Convert(type, text).Problem!.Value.Message);

    [Fact]
    public void NullableFieldsTakeEmptyAsNull() => Assert.Null(Convert("[\"null\",\"int\"]", "").Value);

    [Fact]
    public void LogicalTypesBecomeTheirColumnTypes()
    {
        Assert.Equal(new DateOnly(1969, 12, 31), Convert("{\"type\":\"int\",\"logicalType\":\"date\"}", "1969-12-31").Value);
        Assert.Equal(new TimeOnly(8, 5, 9, 250), Convert("{\"type\":\"int\",\"logicalType\":\"time-millis\"}", "08:05:09.25").Value);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 7, 0, 0, TimeSpan.Zero), Convert("{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}", "2026-03-01T08:00:00+01:00").Value);
        Assert.Equal("12.50", Convert("{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":5,\"scale\":2}", "012.5").Value);
        Assert.Equal("-0.01", Convert("{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":5,\"scale\":2}", "-.01").Value);
        Assert.Equal(Guid.Parse("0F8FAD5B-D9CB-469F-A165-70867728950E"), Convert("{\"type\":\"string\",\"logicalType\":\"uuid\"}", "0F8FAD5B-D9CB-469F-A165-70867728950E").Value);
        Assert.Equal("[1,2]", Convert("{\"type\":\"array\",\"items\":\"int\"}", "[1,2]").Value);
    }

    [Fact]
    public void ExtraFormatsAcceptOtherSpellings()
    {
        var formats = new Dictionary<string, string[]> { ["f"] = ["H.mm.ss"] };
        Assert.Equal(new TimeOnly(8, 5, 9), Convert("{\"type\":\"int\",\"logicalType\":\"time-millis\"}", "8.05.09", formats).Value);
        Assert.Contains("or H.mm.ss", Convert("{\"type\":\"int\",\"logicalType\":\"time-millis\"}", "8h05", formats).Problem!.Value.Message);
    }

    [Fact]
    public void InvalidUtf8IsQuarantinedNotStored()
    {
        var record = (RecordSchema)Schema.Parse("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"f\",\"type\":\"string\"}]}");
        var row = new RowBatch(new TableSchema("k", "r", Catalog.Datasets.AvroColumns.From(record), ["f"]), 1);
        var problem = new FieldConverter(record.Fields[0], 0, new Dictionary<string, string[]>()).Convert([0x61, 0xff, 0x62], row);
        Assert.Equal(ProblemRules.Encoding, problem!.Value.Rule);
    }
}
