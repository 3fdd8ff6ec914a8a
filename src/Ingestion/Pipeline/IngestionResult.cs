using Catalog.Files;
using Coredms;

namespace Ingestion.Pipeline;

/// <summary>
/// What ingesting one file did. <see cref="RowsRead"/> counts data records (loaded plus quarantined);
/// header lines, repeated headers and blank lines are <see cref="RowsSkipped"/>.
/// </summary>
public sealed record IngestionResult(string Status, long RowsRead, long RowsLoaded, long RowsQuarantined, long RowsSkipped, string? Error)
{
    /// <summary>A CSV/TSV file's header line, as it was.</summary>
    public string? Header { get; init; }

    public static IngestionResult Failed(string error, long read = 0, long loaded = 0, long quarantined = 0, long skipped = 0) =>
        new(FileStatus.Failed, read, loaded, quarantined, skipped, error);
}

/// <summary>Where a file's rows go: coredms, or only into a report (dry run).</summary>
public interface IRowSink
{
    Task WriteAsync(RowBatch rows, RowBatch quarantine, CancellationToken ct);
}
