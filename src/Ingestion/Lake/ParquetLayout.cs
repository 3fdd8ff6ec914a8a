using System.Globalization;
using Catalog.Datasets;
using Coredms;
using Mysimbdp.Avro;
using Parquet;
using Parquet.Schema;

namespace Ingestion.Lake;

/// <summary>
/// How a dataset's rows become Parquet: one column per field, required where the Avro type is not nullable, with the
/// logical type its Avro type has (timestamp millis or micros, UTC or local; date; time as micros; decimal with its
/// precision and scale; enum, uuid and varint as strings). Arrays, maps and nested records are written as their JSON
/// text (a reader's JSON functions open them), as coredms keeps them.
/// </summary>
internal sealed class ParquetLayout
{
    private readonly LakeColumn[] _columns;

    public ParquetLayout(Dataset dataset)
    {
        _columns = dataset.Schema.Fields.Select((f, i) => LakeColumn.For(f, i, dataset.Table.Columns[i].Type)).ToArray();
        Schema = new ParquetSchema(_columns.Select(c => (Parquet.Schema.Field)c.Data));
    }

    public ParquetSchema Schema { get; }

    /// <summary>Writes <paramref name="rows"/> of <paramref name="batch"/> (row indexes) as one row group.</summary>
    public async Task WriteRowGroupAsync(ParquetWriter writer, RowBatch batch, ReadOnlyMemory<int> rows, CancellationToken ct)
    {
        using var group = writer.CreateRowGroup();
        foreach (var column in _columns)
        {
            await column.WriteAsync(group, batch, rows, ct);
        }
    }

    public static ParquetOptions Options(LakeCompression compression) => new()
    {
        CompressionMethod = compression switch
        {
            LakeCompression.Zstd => CompressionMethod.Zstd,
            LakeCompression.Gzip => CompressionMethod.Gzip,
            LakeCompression.None => CompressionMethod.None,
            _ => CompressionMethod.Snappy,
        },

        // The codecs' default level makes zstd thirty times slower than snappy for a quarter less size; the fastest
        // level keeps every codec near snappy's speed.
        CompressionLevel = System.IO.Compression.CompressionLevel.Fastest,
    };

    private enum Kind
    {
        Boolean,
        Int,
        Long,
        Float,
        Double,
        Text,
        Bytes,
        TimestampMillis,
        TimestampMicros,
        Date,
        TimeMicros,
        Decimal,
    }

    private sealed class LakeColumn(DataField data, int index, Kind kind, bool nullable)
    {
        public DataField Data => data;

        public static LakeColumn For(Mysimbdp.Avro.Field avro, int index, DataType type)
        {
            var name = avro.Name;
            var nullable = AvroColumns.IsNullable(avro.Schema);
            var logical = AvroColumns.Unwrap(avro.Schema).LogicalType;
            var utc = logical?.Name is not (LogicalType.LocalTimestampMillis or LogicalType.LocalTimestampMicros);
            return (logical?.Name, type.Kind) switch
            {
                (LogicalType.TimestampMicros or LogicalType.LocalTimestampMicros, _) =>
                    new(new DateTimeDataField(name, DateTimeFormat.Timestamp, utc, DateTimeTimeUnit.Micros, nullable), index, Kind.TimestampMicros, nullable),
                (_, DataTypeKind.Timestamp) =>
                    new(new DateTimeDataField(name, DateTimeFormat.Timestamp, utc, DateTimeTimeUnit.Millis, nullable), index, Kind.TimestampMillis, nullable),
                (LogicalType.Decimal, _) when logical!.Precision <= 28 =>
                    new(new DecimalDataField(name, logical.Precision, logical.Scale, isNullable: nullable), index, Kind.Decimal, nullable),
                (_, DataTypeKind.Date) => new(new DataField(name, typeof(DateOnly), nullable), index, Kind.Date, nullable),
                (_, DataTypeKind.Time) => new(new TimeDataField(name, TimeUnitPrecision.Micros, nullable), index, Kind.TimeMicros, nullable),
                (_, DataTypeKind.Boolean) => new(new DataField(name, typeof(bool), nullable), index, Kind.Boolean, nullable),
                (_, DataTypeKind.Int) => new(new DataField(name, typeof(int), nullable), index, Kind.Int, nullable),
                (_, DataTypeKind.BigInt) => new(new DataField(name, typeof(long), nullable), index, Kind.Long, nullable),
                (_, DataTypeKind.Float) => new(new DataField(name, typeof(float), nullable), index, Kind.Float, nullable),
                (_, DataTypeKind.Double) => new(new DataField(name, typeof(double), nullable), index, Kind.Double, nullable),
                (_, DataTypeKind.Blob) => new(new DataField(name, typeof(byte[]), nullable), index, Kind.Bytes, nullable),
                _ => new(new DataField(name, typeof(string), nullable), index, Kind.Text, nullable),
            };
        }

        public Task WriteAsync(ParquetRowGroupWriter group, RowBatch batch, ReadOnlyMemory<int> rows, CancellationToken ct) => kind switch
        {
            Kind.Boolean => WriteAsync(group, batch, rows, (b, r) => b.GetInt64(r, index) != 0, ct),
            Kind.Int => WriteAsync(group, batch, rows, (b, r) => (int)b.GetInt64(r, index), ct),
            Kind.Long => WriteAsync(group, batch, rows, (b, r) => b.GetInt64(r, index), ct),
            Kind.Float => WriteAsync(group, batch, rows, (b, r) => (float)b.GetDouble(r, index), ct),
            Kind.Double => WriteAsync(group, batch, rows, (b, r) => b.GetDouble(r, index), ct),
            Kind.TimestampMillis => WriteAsync(group, batch, rows, (b, r) => DateTime.UnixEpoch.AddTicks(b.GetInt64(r, index) * TimeSpan.TicksPerMillisecond), ct),
            Kind.TimestampMicros => WriteAsync(group, batch, rows, (b, r) => DateTime.UnixEpoch.AddTicks(b.GetInt64(r, index) * TimeSpan.TicksPerMicrosecond), ct),
            Kind.Date => WriteAsync(group, batch, rows, (b, r) => DateOnly.FromDayNumber(EpochDay + (int)b.GetInt64(r, index)), ct),
            Kind.TimeMicros => WriteAsync(group, batch, rows, (b, r) => b.GetInt64(r, index) / 1000, ct),
            Kind.Decimal => WriteAsync(group, batch, rows, (b, r) => decimal.Parse(b.GetBytes(r, index), NumberStyles.Float, CultureInfo.InvariantCulture), ct),
            Kind.Bytes => group.WriteAsync(data, References(batch, rows, (b, r) => b.GetBytes(r, index).ToArray())),
            _ => group.WriteAsync(data, References(batch, rows, (b, r) => b.GetText(r, index))),
        };

        private static readonly int EpochDay = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;

        private Task WriteAsync<T>(ParquetRowGroupWriter group, RowBatch batch, ReadOnlyMemory<int> rows, Func<RowBatch, int, T> get, CancellationToken ct)
            where T : struct
        {
            var indexes = rows.Span;
            if (!nullable)
            {
                var values = new T[indexes.Length];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = get(batch, indexes[i]);
                }

                return group.WriteAsync<T>(data, values, cancellationToken: ct);
            }

            var optional = new T?[indexes.Length];
            for (var i = 0; i < optional.Length; i++)
            {
                optional[i] = batch.IsNull(indexes[i], index) ? null : get(batch, indexes[i]);
            }

            return group.WriteAsync<T>(data, optional, cancellationToken: ct);
        }

        private T?[] References<T>(RowBatch batch, ReadOnlyMemory<int> rows, Func<RowBatch, int, T> get)
            where T : class
        {
            var indexes = rows.Span;
            var values = new T?[indexes.Length];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = batch.IsNull(indexes[i], index) ? null : get(batch, indexes[i]);
            }

            return values;
        }
    }
}
