using System.Text.Json;
using Catalog.Datasets;
using Coredms;
using Parquet;

namespace Ingestion.Lake;

/// <summary>One Parquet file of a spooled source: its key below the dataset's prefix, rows and size.</summary>
public sealed record LakePart(string Key, long Rows, long Bytes);

/// <summary>What a source (a file) left in the spool for the lake, written last as <c>_ready.json</c>.</summary>
/// <param name="Tenant">Whose rows.</param>
/// <param name="Dataset">The dataset they are of.</param>
/// <param name="FileId">The file they came from, or the name of the roll of streamed rows.</param>
/// <param name="Rows">Rows in all its parts.</param>
/// <param name="Parts">Its Parquet files.</param>
/// <param name="Stream">True for streamed rows rolled together, false for an ingested file.</param>
public sealed record LakeManifest(string Tenant, string Dataset, string FileId, long Rows, IReadOnlyList<LakePart> Parts, bool Stream = false)
{
    public const string FileName = "_ready.json";

    /// <summary>The key of a part in the lake: <c>{tenant}/{dataset}/{part key}</c>.</summary>
    public string KeyOf(LakePart part) => LakeKeys.Prefix(Tenant, Dataset) + part.Key;

    /// <summary>Where its file stands in the lake sink, as the file's record shows it.</summary>
    public Catalog.Files.FileSinkRecord SinkRecord(string status, int attempts, string? error, DateTimeOffset at) =>
        new(Tenant, FileId, Catalog.Datasets.LakeSink.Type, Dataset, status, Rows, Parts.Count, attempts, error, at);
}

/// <summary>
/// Writes one source's rows (an ingested file) into the spool as Parquet files, one per hour partition the rows fall
/// in, each rolled at <see cref="LakeOptions.RollRows"/> rows or <see cref="LakeOptions.RollBytes"/> bytes. Every
/// name derives from the source and the order of its rows (<c>{fileId}-{n}.parquet</c>), and the partition from
/// the rows or the time the file was received, so that ingesting the file again writes the very same files: the
/// lake gets each row once whatever is replayed.
/// </summary>
internal sealed class LakeFileWriter : IAsyncDisposable
{
    private const long NullPartition = long.MinValue;

    private readonly string _folder;
    private readonly Dataset _dataset;
    private readonly LakeOptions _options;
    private readonly ParquetLayout _layout;
    private readonly ParquetOptions _parquet;
    private readonly long _receivedHour;
    private readonly int _partitionColumn;
    private readonly Func<long, long>? _hourOf;
    private readonly Dictionary<long, Part> _open = [];
    private readonly List<LakePart> _done = [];
    private readonly Dictionary<long, List<int>> _rowsByHour = [];
    private int _next;

    public LakeFileWriter(string folder, Dataset dataset, LakeSink sink, string fileId, DateTimeOffset receivedAt, LakeOptions options, bool stream = false)
    {
        _folder = folder;
        _dataset = dataset;
        FileId = fileId;
        _options = options;
        _layout = new ParquetLayout(dataset);
        _parquet = ParquetLayout.Options(sink.Compression);
        _receivedHour = receivedAt.ToUnixTimeSeconds() / 3600;
        _partitionColumn = sink.PartitionBy is { } field ? dataset.Table.IndexOf(field) : -1;
        _hourOf = _partitionColumn < 0 ? null : HourOf(dataset, sink.PartitionBy!);
        Stream = stream;
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        Directory.CreateDirectory(folder);
    }

    public string FileId { get; }

    /// <summary>Whether the source is streamed rows rolled together rather than an ingested file.</summary>
    public bool Stream { get; }

    /// <summary>Rows written so far.</summary>
    public long Rows { get; private set; }

    /// <summary>Writes a batch's rows, each to its hour's file.</summary>
    public Task WriteAsync(RowBatch rows, CancellationToken ct) => WriteAsync(rows, _receivedHour, ct);

    /// <summary>Writes a batch's rows received at <paramref name="receivedAt"/> (their hour when the dataset partitions by arrival).</summary>
    public Task WriteAsync(RowBatch rows, DateTimeOffset receivedAt, CancellationToken ct) => WriteAsync(rows, receivedAt.ToUnixTimeSeconds() / 3600, ct);

    private async Task WriteAsync(RowBatch rows, long receivedHour, CancellationToken ct)
    {
        if (rows.Count == 0)
        {
            return;
        }

        foreach (var list in _rowsByHour.Values)
        {
            list.Clear();
        }

        for (var r = 0; r < rows.Count; r++)
        {
            var hour = _hourOf is null ? receivedHour : rows.IsNull(r, _partitionColumn) ? NullPartition : _hourOf(rows.GetInt64(r, _partitionColumn));
            if (!_rowsByHour.TryGetValue(hour, out var list))
            {
                _rowsByHour[hour] = list = [];
            }

            list.Add(r);
        }

        foreach (var (hour, list) in _rowsByHour.Where(h => h.Value.Count > 0).OrderBy(h => h.Key))
        {
            var part = _open.TryGetValue(hour, out var open) ? open : _open[hour] = await OpenAsync(hour, ct);
            await _layout.WriteRowGroupAsync(part.Writer, rows, list.ToArray(), ct);
            part.Rows += list.Count;
            Rows += list.Count;
            if (part.Rows >= _options.RollRows || part.Stream.Position >= _options.RollBytes)
            {
                _open.Remove(hour);
                await CloseAsync(part);
            }
        }
    }

    /// <summary>Closes every file and writes the manifest that hands them to the publisher.</summary>
    public async Task<LakeManifest> CompleteAsync(CancellationToken ct)
    {
        foreach (var part in _open.Values.ToList())
        {
            await CloseAsync(part);
        }

        _open.Clear();
        var manifest = new LakeManifest(_dataset.Tenant, _dataset.Name, FileId, Rows, _done.ToList(), Stream);
        var path = Path.Combine(_folder, LakeManifest.FileName);
        await File.WriteAllBytesAsync(path + ".tmp", JsonSerializer.SerializeToUtf8Bytes(manifest), ct);
        File.Move(path + ".tmp", path, overwrite: true);
        return manifest;
    }

    /// <summary>Forgets everything written (the source loaded nothing or failed before its end).</summary>
    public async Task DiscardAsync()
    {
        await DisposeAsync();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var part in _open.Values)
        {
            await part.Writer.DisposeAsync();
            await part.Stream.DisposeAsync();
        }

        _open.Clear();
    }

    /// <summary>The partition's folder: <c>date=2026-12-01/hour=07</c>, or Hive's default partition for rows without a time.</summary>
    public static string PartitionOf(long hour) => hour == NullPartition ? "date=__HIVE_DEFAULT_PARTITION__/hour=__HIVE_DEFAULT_PARTITION__"
        : $"date={DateTimeOffset.FromUnixTimeSeconds(hour * 3600):yyyy-MM-dd}/hour={DateTimeOffset.FromUnixTimeSeconds(hour * 3600):HH}";

    private static Func<long, long> HourOf(Dataset dataset, string field)
    {
        var column = dataset.Table.Columns[dataset.Table.IndexOf(field)];
        var logical = Catalog.Datasets.AvroColumns.Unwrap(dataset.Schema.GetField(field)!.Schema).LogicalType?.Name;
        return column.Type.Kind switch
        {
            DataTypeKind.Date => days => days * 24,
            DataTypeKind.Timestamp => millis => FloorDivide(millis, 3_600_000L),
            _ when logical is Mysimbdp.Avro.LogicalType.TimestampMicros or Mysimbdp.Avro.LogicalType.LocalTimestampMicros => micros => FloorDivide(micros, 3_600_000_000L),
            _ => throw new ArgumentException($"'{field}' cannot partition a lake.", nameof(field)),
        };
    }

    /// <summary>Division rounding down, so that times before 1970 fall in the hour they are in.</summary>
    private static long FloorDivide(long value, long by) => (value / by) - (value % by < 0 ? 1 : 0);

    private async Task<Part> OpenAsync(long hour, CancellationToken ct)
    {
        var key = $"{PartitionOf(hour)}/{FileId}-{_next++:D4}.parquet";
        var path = Path.Combine(_folder, key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        return new Part(key, stream, await ParquetWriter.CreateAsync(_layout.Schema, stream, _parquet, cancellationToken: ct));
    }

    private async Task CloseAsync(Part part)
    {
        await part.Writer.DisposeAsync();
        part.Stream.Flush(flushToDisk: true);
        _done.Add(new LakePart(part.Key, part.Rows, part.Stream.Length));
        await part.Stream.DisposeAsync();
    }

    private sealed class Part(string key, FileStream stream, ParquetWriter writer)
    {
        public string Key => key;

        public FileStream Stream => stream;

        public ParquetWriter Writer => writer;

        public long Rows { get; set; }
    }
}

/// <summary>Writes each batch to coredms and to a source's lake files side by side, returning when both have it.</summary>
internal sealed class LakeTeeSink(Pipeline.IRowSink coredms, LakeFileWriter lake) : Pipeline.IRowSink
{
    public async Task WriteAsync(RowBatch rows, RowBatch quarantine, CancellationToken ct)
    {
        // The batch is reused once this returns: the lake's copy must be done with it first, even when coredms fails.
        var lakeWrite = Task.Run(() => lake.WriteAsync(rows, ct), ct);
        try
        {
            await coredms.WriteAsync(rows, quarantine, ct);
        }
        finally
        {
            await lakeWrite;
        }
    }
}
