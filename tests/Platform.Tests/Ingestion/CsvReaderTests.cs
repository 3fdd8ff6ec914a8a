using System.Text;
using Ingestion.Csv;

namespace Platform.Tests.Ingestion;

public sealed class CsvReaderTests
{
    private static List<(long Line, string[] Fields, CsvProblem Problem, string Raw)> Read(string text, char delimiter = ',', int? bufferChunk = null)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Stream stream = bufferChunk is { } chunk ? new TrickleStream(bytes, chunk) : new MemoryStream(bytes);
        var reader = new CsvReader(stream, delimiter);
        var records = new List<(long, string[], CsvProblem, string)>();
        while (reader.TryRead(out var r))
        {
            var fields = new string[r.FieldCount];
            for (var i = 0; i < fields.Length; i++)
            {
                fields[i] = Encoding.UTF8.GetString(r[i]);
            }

            records.Add((r.Line, fields, r.Problem, Encoding.UTF8.GetString(r.Content)));
        }

        return records;
    }

    [Fact]
    public void SimpleLinesSplitOnTheDelimiter()
    {
        var records = Read("a,b,c\n1,2,3\n");
        Assert.Equal([["a", "b", "c"], ["1", "2", "3"]], records.Select(r => r.Fields));
        Assert.Equal([1L, 2L], records.Select(r => r.Line));
    }

    [Fact]
    public void QuotedFieldsKeepDelimitersQuotesAndLineBreaks()
    {
        var records = Read("id,text\n1,\"a, b\"\n2,\"say \"\"hi\"\"\"\n3,\"two\nlines\"\n4,last\n");
        Assert.Equal(["a, b", "say \"hi\"", "two\nlines", "last"], records.Skip(1).Select(r => r.Fields[1]));
        Assert.Equal([1L, 2L, 3L, 4L, 6L], records.Select(r => r.Line));
    }

    [Fact]
    public void CrlfBomAndAMissingFinalNewlineAreHandled()
    {
        var records = Read("\uFEFFid,v\r\n1,x\r\n2,\"y\r\nz\"\r\n3,w");
        Assert.Equal(["id", "v"], records[0].Fields);
        Assert.Equal(["1", "x"], records[1].Fields);
        Assert.Equal(["2", "y\r\nz"], records[2].Fields);
        Assert.Equal(["3", "w"], records[3].Fields);
        Assert.Equal("1,x", records[1].Raw);
    }

    [Fact]
    public void TabsSeparateTsv() =>
        Assert.Equal(["a", "b c", ""], Read("a\tb c\t\n", '\t')[0].Fields);

    [Fact]
    public void AnUnterminatedQuoteIsReportedAtTheEnd()
    {
        var records = Read("id,v\n1,\"open\n2,x\n");
        Assert.Equal(CsvProblem.UnterminatedQuote, records[^1].Problem);
        Assert.Equal(2L, records[^1].Line);
    }

    [Fact]
    public void RecordsThatCrossBufferBoundariesReadTheSame()
    {
        var text = string.Join("", Enumerable.Range(0, 500).Select(i => $"{i},\"quoted \"\"{i}\"\"\nline\",{new string('x', i % 37)}\r\n"));
        var whole = Read(text);
        var trickled = Read(text, bufferChunk: 7);
        Assert.Equal(500, whole.Count);
        Assert.Equal(whole.Select(r => string.Join("|", r.Fields)), trickled.Select(r => string.Join("|", r.Fields)));
        Assert.Equal(whole.Select(r => r.Line), trickled.Select(r => r.Line));
    }

    [Fact]
    public void AnOverlongLineIsReportedOnceAndReadingGoesOnAtTheNextLine()
    {
        var text = "id,v\n" + "1," + new string('z', CsvReader.MaxRecordBytes + 10) + "\n2,ok\n3,\"" + new string('q', CsvReader.MaxRecordBytes * 2) + "\n4,fine\n";
        var records = Read(text);
        Assert.Equal([CsvProblem.None, CsvProblem.TooLong, CsvProblem.None, CsvProblem.TooLong, CsvProblem.None], records.Select(r => r.Problem));
        Assert.Equal(["2", "ok"], records[2].Fields);
        Assert.Equal(["4", "fine"], records[4].Fields);
        Assert.Equal([1L, 2L, 3L, 4L, 5L], records.Select(r => r.Line));
    }

    /// <summary>Hands out a few bytes per read, as a slow network would.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));
    }
}
