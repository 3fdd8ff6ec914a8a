using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Catalog.Agreements;
using Catalog.Datasets;
using Catalog.Files;
using Coredms;
using IngestionLog;
using Microsoft.Extensions.Logging;

namespace Ingestion.Staging;

/// <summary>A file waiting in a dataset's folder, with its catalog record.</summary>
public sealed record WaitingFile(FileRecord Record, Dataset Dataset);

/// <summary>The files found waiting; <paramref name="AwaitingRecords"/> when an upload's file was seen before its record (scan again soon).</summary>
public sealed record StagingScan(IReadOnlyList<WaitingFile> Files, bool AwaitingRecords);

/// <summary>
/// Finds the files waiting in a tenant's staging folders and gives each one a catalog record. Uploads arrive
/// as <c>{file_id}__{name}</c> with their record; a file that the tenant, its stream app or any other tool put
/// there directly is renamed to <c>{file_id}__{name}</c> in its dataset's folder and recorded as staged
/// (a file of the wrong type is recorded as failed, with the reason).
/// <para>
/// A file is taken only once it is complete: writers create it under a name that starts with '.' or ends in
/// <c>.tmp</c> or <c>.part</c>, and rename it when done (a rename within one file system is atomic).
/// </para>
/// <para>
/// Where a dataset's files wait: <c>in/{dataset}/</c>; for a streaming dataset of a tenant whose agreement
/// runs a stream app, <c>out/{dataset}/</c> (the app reads <c>in</c> and writes <c>out</c>). A file directly
/// in <c>in/</c> (or <c>out/</c>) belongs to the tenant's only dataset or its default one; with several
/// datasets and no default it stays where it is, and a warning says where it should go.
/// </para>
/// </summary>
public sealed partial class StagingScanner(DatasetCatalog datasets, AgreementCatalog agreements, FileCatalog files, StagingArea staging,
    Catalog.Usage.QuotaPolicy quotas, DataClock clock, ILogger<StagingScanner> logger)
{
    /// <summary>
    /// How long a file named like an upload (<c>{file_id}__…</c>) may wait for its record before it is taken as
    /// dropped: an upload renames its file into place just before it records it.
    /// </summary>
    public static readonly TimeSpan RecordGrace = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, long> _unrecorded = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _warned = new(StringComparer.Ordinal);

    [GeneratedRegex("^([0-9a-f]{32})__(.+)$")]
    private static partial Regex IdName();

    /// <summary>True for names of files still being written (or hidden): '.' first, or ending in .tmp or .part.</summary>
    public static bool IsInProgress(string name) =>
        name.StartsWith('.') || name.EndsWith(".tmp", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".part", StringComparison.OrdinalIgnoreCase);

    /// <summary>The folder a dataset's files wait in (see the class summary).</summary>
    public string FolderOf(Dataset dataset, ServiceAgreement? agreement) =>
        FromStreamApp(dataset, agreement) ? Path.Combine(staging.Out(dataset.Tenant), dataset.Name) : staging.In(dataset.Tenant, dataset.Name);

    private static bool FromStreamApp(Dataset dataset, ServiceAgreement? agreement) =>
        agreement?.StreamApp is not null && dataset.Mode.HasFlag(IngestionMode.Stream);

    /// <summary>The files waiting for the tenant's datasets of <paramref name="mode"/>, oldest first, each with its record.</summary>
    public async Task<StagingScan> ScanAsync(string tenant, IngestionMode mode, CancellationToken ct)
    {
        var all = await datasets.ListAsync(tenant, ct);
        var agreement = await agreements.GetAsync(tenant, ct);
        var waiting = new List<WaitingFile>();
        var awaiting = false;
        foreach (var dataset in all.Where(d => d.Mode.HasFlag(mode)))
        {
            foreach (var path in CompleteFiles(FolderOf(dataset, agreement)))
            {
                var (record, early) = await RecordAsync(dataset, path, ct);
                awaiting |= early;
                if (record is not null)
                {
                    waiting.Add(new WaitingFile(record, dataset));
                }
            }
        }

        var target = Dataset.OnlyOrDefault(all);
        if (target is null && all.Count > 1)
        {
            WarnAboutRootFiles(tenant, all.Count, agreement);
        }
        else if (target is not null && target.Mode.HasFlag(mode))
        {
            foreach (var path in CompleteFiles(FromStreamApp(target, agreement) ? staging.Out(tenant) : staging.In(tenant)))
            {
                var (record, early) = await RecordAsync(target, path, ct);
                awaiting |= early;
                if (record is not null)
                {
                    waiting.Add(new WaitingFile(record, target));
                }
            }
        }

        return new StagingScan(waiting.Where(w => w.Record.Status is FileStatus.Staged or FileStatus.Processing)
            .OrderBy(w => w.Record.FileId, StringComparer.Ordinal).ToList(), awaiting);
    }

    private static List<string> CompleteFiles(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return [];
        }

        try
        {
            return Directory.EnumerateFiles(folder).Where(f => !IsInProgress(Path.GetFileName(f))).ToList();
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }

    /// <summary>
    /// The record of the file at <paramref name="path"/>, made when it has none; null when it is not (yet) to be
    /// taken, with <c>Early</c> when it is an upload's file whose record is not written yet.
    /// </summary>
    private async Task<(FileRecord? Record, bool Early)> RecordAsync(Dataset dataset, string path, CancellationToken ct)
    {
        var tenant = dataset.Tenant;
        var name = Path.GetFileName(path);
        var relative = staging.Relative(tenant, path);
        if (IdName().Match(name) is { Success: true } match)
        {
            var id = match.Groups[1].Value;
            if (await files.GetAsync(tenant, id, ct) is { } known)
            {
                _unrecorded.TryRemove(path, out _);
                if (known.Path == relative)
                {
                    return (known, false);
                }

                if (known.Status == FileStatus.Staged && known.Dataset == dataset.Name)
                {
                    // An upload that the tenant's stream app rewrote from in/ to out/: the rewritten file is the one to ingest.
                    var moved = known with { Path = relative, Bytes = Length(path) ?? known.Bytes };
                    await files.SaveAsync(moved, ct);
                    await quotas.FileArrivedAsync(tenant, moved.Bytes - known.Bytes);
                    return (moved, false);
                }

                if (known.Status is FileStatus.Staged or FileStatus.Processing)
                {
                    return (null, false);
                }

                // Ingested before: the same file put back (or written again by an app) is a new arrival.
                return (await RegisterAsync(dataset, path, match.Groups[2].Value, ct), false);
            }

            var firstSeen = _unrecorded.GetOrAdd(path, _ => System.Diagnostics.Stopwatch.GetTimestamp());
            if (System.Diagnostics.Stopwatch.GetElapsedTime(firstSeen) < RecordGrace)
            {
                return (null, true);
            }

            _unrecorded.TryRemove(path, out _);
            return (await RegisterAsync(dataset, path, match.Groups[2].Value, ct, id), false);
        }

        return (await RegisterAsync(dataset, path, name, ct), false);
    }

    /// <summary>Renames a dropped file to <c>{file_id}__{name}</c> in its dataset's folder and records it; null when it went away meanwhile.</summary>
    private async Task<FileRecord?> RegisterAsync(Dataset dataset, string path, string originalName, CancellationToken ct, string? id = null)
    {
        var tenant = dataset.Tenant;
        id ??= FileCatalog.NewId();
        var name = FileNames.Sanitize(originalName);
        var folder = Path.GetDirectoryName(path)!;
        if (folder == staging.In(tenant) || folder == staging.Out(tenant))
        {
            folder = Path.Combine(folder, dataset.Name);
            Directory.CreateDirectory(folder);
        }

        var target = Path.Combine(folder, $"{id}__{name}");
        if (target != path)
        {
            try
            {
                // The rename is the registration's claim: of two scanners, only one moves the file.
                File.Move(path, target, overwrite: false);
            }
            catch (IOException)
            {
                return null;
            }
        }

        var problem = FileNames.TypeProblem(dataset.FileType, name);
        var now = clock.GetUtcNow();
        var record = new FileRecord(tenant, id, dataset.Name, name, staging.Relative(tenant, target),
            problem is null ? FileStatus.Staged : FileStatus.Failed, Length(target) ?? 0, now,
            FinishedAt: problem is null ? null : now, Error: problem is null ? null : $"dataset '{dataset.Name}' {problem}");
        await files.SaveAsync(record, ct);
        if (record.Status == FileStatus.Staged)
        {
            await quotas.FileArrivedAsync(tenant, record.Bytes);
        }

        logger.IngestionEvent(IngestionEvents.FileStaged, "{EventAction}: {TenantId}/{Dataset} file {FileId} ({Bytes} bytes) as {FileName}, found in {Folder}",
            IngestionEvents.FileStaged, tenant, dataset.Name, id, record.Bytes, name, staging.Relative(tenant, Path.GetDirectoryName(path)!));
        if (problem is not null)
        {
            logger.IngestionEvent(IngestionEvents.FileFailed, "{EventAction}: {TenantId}/{Dataset} file {FileId} failed after {RowsRead} rows: {ErrorMessage}",
                IngestionEvents.FileFailed, tenant, dataset.Name, id, 0, record.Error);
        }

        return record;
    }

    private void WarnAboutRootFiles(string tenant, int datasetCount, ServiceAgreement? agreement)
    {
        var root = agreement?.StreamApp is null ? staging.In(tenant) : staging.Out(tenant);
        foreach (var path in CompleteFiles(root).Where(p => _warned.TryAdd(p, true)))
        {
            logger.LogWarning("{TenantId} has {Count} datasets and none is the default, so {File} belongs to none: move it to {Folder}/<dataset>/",
                tenant, datasetCount, staging.Relative(tenant, path), staging.Relative(tenant, root));
        }
    }

    private static long? Length(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
