using System.Text;
using Mysimbdp.Avro;
using Catalog.Datasets;
using Ingestion.Conversion;

namespace Ingestion.Pipeline;

/// <summary>
/// Reads an Avro object container file into batches: the file's writer schema is resolved against the
/// dataset's schema (promotions, defaults, reordered fields), records are decoded straight into the batch,
/// and each record then passes the dataset's quality rules like a CSV row. "Line" is the record's number.
/// </summary>
internal sealed class AvroRows(Dataset dataset, QualityChecker quality)
{
    public CsvRows.Outcome Produce(Stream content, BatchBuffer buffer, Func<long, long, bool> keepGoing, Action<long> progress)
    {
        ContainerReader file;
        RecordDecoder decoder;
        DatumReader generic;
        try
        {
            file = ContainerReader.Open(content);
            decoder = new RecordDecoder(file.WriterSchema, dataset.Schema);
            generic = new DatumReader(file.WriterSchema, dataset.Schema);
        }
        catch (Exception e) when (e is AvroDataException or SchemaResolutionException)
        {
            return new CsvRows.Outcome(0, 0, e is SchemaResolutionException
                ? $"The file's schema cannot be read as the dataset's schema: {e.Message}"
                : e.Message);
        }

        var sink = new RowBatchSink(dataset);
        long read = 0;
        try
        {
            while (file.TryReadBlock(out var count, out var data))
            {
                var span = data.Span;
                var d = new BinaryDecoder(span);
                for (long i = 0; i < count; i++)
                {
                    var start = d.Position;
                    sink.Rows = buffer.Rows;
                    decoder.Read(ref d, sink);
                    read++;
                    if (quality.HasRules && quality.Check(buffer.Rows) is { } problem)
                    {
                        var record = new BinaryDecoder(span[start..d.Position]);
                        buffer.QuarantineRow(read, problem, Encoding.UTF8.GetBytes(JsonEncoding.ToJson(dataset.Schema, generic.Read(ref record))));
                    }
                    else
                    {
                        buffer.CommitRow();
                    }

                    if (!keepGoing(read, buffer.Quarantined))
                    {
                        return new CsvRows.Outcome(read, 0, null);
                    }
                }

                progress(read);
            }
        }
        catch (AvroDataException e)
        {
            return new CsvRows.Outcome(read, 0, $"Record {read + 1} (block {file.BlockIndex}) cannot be decoded: {e.Message}");
        }

        return new CsvRows.Outcome(read, 0, null);
    }
}
