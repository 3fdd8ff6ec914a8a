using System.Text;
using System.Text.Json;
using Catalog.Datasets;
using Coredms;
using Ingestion.Pipeline;

namespace Platform.Tests.IngestionTests;

/// <summary>
/// Each rule a delimited file's line can be quarantined under, through the real pipeline (CsvHelper underneath):
/// the line number it starts on, the rule, and its raw text as it was in the file.
/// </summary>
public sealed class CsvQuarantineTests
{
    private const string Header = "sensor_id,reading_id,date,time,speed_kmh,lane,vehicle_class,plate_hash";

    private sealed record Quarantined(long Line, string Rule, string Reason, string Raw);

    private static async Task<(IngestionResult Result, List<Quarantined> Quarantine)> IngestAsync(byte[] content)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repo.Root, "schemas", "examples", "client_a", "dataset.json")));
        var dataset = Dataset.From("t", "speed_tracking", document.RootElement);
        var sink = new CollectingSink();
        var result = await new FileIngestion(DataClock.Real).RunAsync(dataset, "f1", () => new MemoryStream(content), sink);
        return (result, sink.Quarantine);
    }

    private static byte[] Lines(params string[] lines) => Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n");

    private const string Good = "1,1,2026-03-01,08:00:00,50.5,1,car,h1";

    [Fact]
    public async Task ALineWithTheWrongNumberOfFieldsIsQuarantinedAsFieldCount()
    {
        var (result, quarantine) = await IngestAsync(Lines(Header, Good, "1,2,2026-03-01,08:00:00,50.5,car", "1,3,2026-03-01,08:00:00,50.5,1,car,h3"));
        Assert.Equal((3L, 2L, 1L), (result.RowsRead, result.RowsLoaded, result.RowsQuarantined));
        Assert.Equal(new Quarantined(3, "field_count", "the line has 6 fields; the header has 8", "1,2,2026-03-01,08:00:00,50.5,car"), Assert.Single(quarantine));
    }

    [Fact]
    public async Task DataGluedOntoARepeatedHeaderIsQuarantinedAsGluedHeader()
    {
        var glued = Header + "7,1,2026-03-01,08:00:00,50,1,car,";
        var (_, quarantine) = await IngestAsync(Lines(Header, Good, glued));
        var q = Assert.Single(quarantine);
        Assert.Equal((3L, "glued_header", glued), (q.Line, q.Rule, q.Raw));
    }

    [Fact]
    public async Task AnUnterminatedQuoteQuarantinesItsLineAndTheRestOfTheFileLoads()
    {
        var (result, quarantine) = await IngestAsync(Lines(Header, "1,1,2026-03-01,08:00:00,50.5,1,car,\"open", Good.Replace("1,1,", "1,2,"), Good.Replace("1,1,", "1,3,")));
        Assert.Equal((3L, 2L, 1L), (result.RowsRead, result.RowsLoaded, result.RowsQuarantined));
        var q = Assert.Single(quarantine);
        Assert.Equal((2L, "unterminated_quote", "1,1,2026-03-01,08:00:00,50.5,1,car,\"open"), (q.Line, q.Rule, q.Raw));
    }

    [Fact]
    public async Task ALineOverTheRecordLimitIsQuarantinedNotThrownAndReadingGoesOn()
    {
        var longLine = "1,2,2026-03-01,08:00:00,50.5,1,car," + new string('z', 3 << 20);
        var (result, quarantine) = await IngestAsync(Lines(Header, Good, longLine, Good.Replace("1,1,", "1,3,")));
        Assert.Equal((3L, 2L, 1L), (result.RowsRead, result.RowsLoaded, result.RowsQuarantined));
        var q = Assert.Single(quarantine);
        Assert.Equal((3L, "line_too_long"), (q.Line, q.Rule));
        Assert.StartsWith("1,2,2026-03-01,08:00:00,50.5,1,car,zzz", q.Raw);
    }

    [Fact]
    public async Task BytesThatAreNotUtf8AreQuarantinedAsEncoding()
    {
        var bad = Encoding.UTF8.GetBytes("1,2,2026-03-01,08:00:00,50.5,1,car,").Concat(new byte[] { 0xC3, 0x28, (byte)'\n' });
        var content = Lines(Header, Good).Concat(bad).ToArray();
        var (_, quarantine) = await IngestAsync(content);
        var q = Assert.Single(quarantine);
        Assert.Equal((3L, "encoding"), (q.Line, q.Rule));
    }

    [Fact]
    public async Task ALineWithANulByteIsQuarantinedAsEncoding()
    {
        // A file that arrived without an upload (dropped, or written by an app) may hold NUL bytes anywhere.
        var (result, quarantine) = await IngestAsync(Lines(Header, Good, "1,2,2026-03-01,08:00:00,50.5,1,car,h\0x", Good.Replace("1,1,", "1,3,")));
        Assert.Equal((3L, 2L, 1L), (result.RowsRead, result.RowsLoaded, result.RowsQuarantined));
        Assert.Equal((3L, "encoding"), (Assert.Single(quarantine).Line, quarantine[0].Rule));
    }

    [Fact]
    public async Task LineNumbersCountLinesInsideQuotedFieldsAndBlankLines()
    {
        var (result, quarantine) = await IngestAsync(Lines(Header, "1,1,2026-03-01,08:00:00,50.5,1,car,\"two\nlines\"", "", "1,2,2026-03-01,08:00:00,-3,1,car,x"));
        Assert.Equal((2L, 1L), (result.RowsRead, result.RowsSkipped));
        Assert.Equal((5L, "validity"), (quarantine.Single().Line, quarantine.Single().Rule));
    }

    private sealed class CollectingSink : IRowSink
    {
        public List<Quarantined> Quarantine { get; } = [];

        public Task WriteAsync(RowBatch rows, RowBatch quarantine, CancellationToken ct)
        {
            var table = quarantine.Table;
            for (var i = 0; i < quarantine.Count; i++)
            {
                Quarantine.Add(new Quarantined(quarantine.GetInt64(i, table.IndexOf("line")), quarantine.GetText(i, table.IndexOf("rule")),
                    quarantine.GetText(i, table.IndexOf("reason")), quarantine.GetText(i, table.IndexOf("raw"))));
            }

            return Task.CompletedTask;
        }
    }
}
