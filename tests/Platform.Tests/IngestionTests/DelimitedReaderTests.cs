using System.Text;
using Ingestion.Csv;

namespace Platform.Tests.IngestionTests;

public sealed class DelimitedReaderTests
{
    private static List<(long Line, string[] Fields, DelimitedProblem Problem, string Raw)> Read(string text, char delimiter = ',', int? bufferChunk = null)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Stream stream = bufferChunk is { } chunk ? new TrickleStream(bytes, chunk) : new MemoryStream(bytes);
        using var reader = new DelimitedReader(stream, delimiter);
        var records = new List<(long, string[], DelimitedProblem, string)>();
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
    public void AnUnterminatedQuoteIsReportedOnItsLineAndReadingResumesAtTheNext()
    {
        var records = Read("id,v\n1,\"open\n2,x\n3,y");
        Assert.Equal([DelimitedProblem.None, DelimitedProblem.UnterminatedQuote, DelimitedProblem.None, DelimitedProblem.None], records.Select(r => r.Problem));
        Assert.Equal([1L, 2L, 3L, 4L], records.Select(r => r.Line));
        Assert.Equal("1,\"open", records[1].Raw);
        Assert.Equal(["3", "y"], records[3].Fields);
    }

    [Fact]
    public void AQuoteOpenPastTheRecordLimitIsReportedOnItsLineAndTheRestOfTheFileIsRead()
    {
        // The quote on line 2 never closes and the file is longer than the limit: one line refused, 20,000 rows read.
        var text = "id,v\n0,\"open\n" + string.Concat(Enumerable.Range(1, 20_000).Select(i => $"{i},{new string('x', 60)}\n"));
        var records = Read(text);
        Assert.Equal(20_002, records.Count);
        Assert.Equal((2L, DelimitedProblem.UnterminatedQuote, "0,\"open"), (records[1].Line, records[1].Problem, records[1].Raw));
        Assert.All(records.Skip(2), r => Assert.Equal(DelimitedProblem.None, r.Problem));
        Assert.Equal((20_002L, "20000"), (records[^1].Line, records[^1].Fields[0]));
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
        var text = "id,v\n" + "1," + new string('z', DelimitedReader.MaxRecordBytes + 10) + "\n2,ok\n3,\"" + new string('q', DelimitedReader.MaxRecordBytes * 2) + "\n4,fine\n";
        var records = Read(text);
        Assert.Equal([DelimitedProblem.None, DelimitedProblem.TooLong, DelimitedProblem.None, DelimitedProblem.UnterminatedQuote, DelimitedProblem.None], records.Select(r => r.Problem));
        Assert.Equal(DelimitedReader.RawHeadBytes, records[1].Raw.Length);
        Assert.Equal(["2", "ok"], records[2].Fields);
        Assert.Equal(["4", "fine"], records[4].Fields);
        Assert.Equal([1L, 2L, 3L, 4L, 5L], records.Select(r => r.Line));
    }

    [Fact]
    public void BlankLinesAreRecordsWithNoContent()
    {
        var records = Read("a,b\n\n  \t\n1,2\n");
        Assert.Equal([1L, 2L, 3L, 4L], records.Select(r => r.Line));
        Assert.Equal(["", "  \t"], records.Skip(1).Take(2).Select(r => r.Raw));
    }

    /// <summary>Hands out a few bytes per read, as a slow network would.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));
    }
}
