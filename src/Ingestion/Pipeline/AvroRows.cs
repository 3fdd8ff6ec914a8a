using System.Numerics;
using System.Text;
using Avro;
using Catalog.Datasets;
using Coredms;
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

        var sink = new CellSink(dataset);
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

    /// <summary>Writes decoded fields into the row being built, in the column forms coredms stores.</summary>
    private sealed class CellSink : IRecordSink
    {
        private readonly Schema[] _fields;
        private readonly DataType[] _types;

        public CellSink(Dataset dataset)
        {
            _fields = dataset.Schema.Fields.Select(f => AvroColumns.Unwrap(f.Schema)).ToArray();
            _types = dataset.Table.Columns.Select(c => c.Type).ToArray();
        }

        public RowBatch Rows { get; set; } = null!;

        public void OnNull(int field) => Rows.SetNull(field);

        public void OnBoolean(int field, bool value) => Rows.SetInt64(field, value ? 1 : 0);

        public void OnInt(int field, int value) => OnLong(field, value);

        public void OnLong(int field, long value) => Rows.SetInt64(field, _fields[field].LogicalType?.Name switch
        {
            LogicalType.TimeMillis => value * 1_000_000,
            LogicalType.TimeMicros => value * 1000,
            _ => value,
        });

        public void OnFloat(int field, float value) => Rows.SetDouble(field, value);

        public void OnDouble(int field, double value) => Rows.SetDouble(field, value);

        public void OnBytes(int field, ReadOnlySpan<byte> value)
        {
            if (_types[field].Kind == DataTypeKind.Decimal)
            {
                Rows.SetText(field, Decimal(value, _fields[field].LogicalType!.Scale));
            }
            else
            {
                Rows.SetBytes(field, value);
            }
        }

        public void OnString(int field, ReadOnlySpan<byte> utf8) => Rows.SetBytes(field, utf8);

        public void OnEnum(int field, int index, string symbol) => Rows.SetText(field, symbol);

        public void OnFixed(int field, ReadOnlySpan<byte> value) => OnBytes(field, value);

        public void OnValue(int field, object? value)
        {
            if (value is null)
            {
                Rows.SetNull(field);
            }
            else
            {
                Rows.SetText(field, JsonEncoding.ToJson(_fields[field], value));
            }
        }

        /// <summary>A decimal's two's-complement, big-endian unscaled value, written with its scale.</summary>
        private static string Decimal(ReadOnlySpan<byte> unscaled, int scale)
        {
            var value = new BigInteger(unscaled, isUnsigned: false, isBigEndian: true);
            var digits = BigInteger.Abs(value).ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(scale + 1, '0');
            var text = scale == 0 ? digits : digits[..^scale] + "." + digits[^scale..];
            return value.Sign < 0 ? "-" + text : text;
        }
    }
}
