using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Catalog.Agreements;
using Catalog.Datasets;
using Catalog.Files;
using Coredms;
using IngestionLog;
using Microsoft.Extensions.Logging;

namespace Ingestion.Staging;

/// <summary>A file waiting in a dataset's folder (or a claim its owner abandoned), with its catalog record.</summary>
public sealed record WaitingFile(FileRecord Record, Dataset Dataset);

/// <summary>
/// Finds the work waiting for a tenant's datasets of one mode: the complete files in their staging folders, each
/// with its catalog record (a file without one is staged through <see cref="FileStager"/>), and, when asked, the
/// files that a claim left <c>processing</c> (already moved out of staging) for the caller to take over if their
/// owner is gone, and the files a failed run gave back after it had moved them to <c>processed/</c>.
/// <para>
/// A file is taken only once it is complete: writers create it under a name that starts with '.' or ends in
/// <c>.tmp</c> or <c>.part</c>, and rename it when done (a rename within one file system is atomic).
/// </para>
/// <para>
/// A paused dataset's files are recorded as staged like any other, and offered to nobody until it is resumed.
/// </para>
/// <para>
/// Where a dataset's files wait: <c>in/{dataset}/</c>; for a streaming dataset of a tenant whose agreement
/// runs a stream app, <c>out/{dataset}/</c> (the app reads <c>in</c> and writes <c>out</c>). A file directly
/// in <c>in/</c> (or <c>out/</c>) belongs to the tenant's only dataset or its default one; with several
/// datasets and no default it stays where it is, and a warning says where it should go.
/// </para>
/// </summary>
public sealed partial class StagingScanner(DatasetCatalog datasets, AgreementCatalog agreements, FileCatalog files, StagingArea staging,
    FileStager stager, ILogger<StagingScanner> logger)
{
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

    /// <summary>
    /// The files waiting for the tenant's datasets of <paramref name="mode"/>, oldest first, each with its record;
    /// with <paramref name="withClaims"/>, also the files the catalog has <c>processing</c> and those a failed run gave
    /// back after moving them.
    /// </summary>
    public async Task<IReadOnlyList<WaitingFile>> ScanAsync(string tenant, IngestionMode mode, bool withClaims, CancellationToken ct)
    {
        var all = await datasets.ListAsync(tenant, ct);
        var agreement = await agreements.GetAsync(tenant, ct);
        var waiting = new List<WaitingFile>();
        foreach (var dataset in all.Where(d => d.Mode.HasFlag(mode)))
        {
            await AddAsync(waiting, dataset, FolderOf(dataset, agreement), ct);
        }

        var target = Dataset.OnlyOrDefault(all);
        if (target is null && all.Count > 1)
        {
            WarnAboutRootFiles(tenant, all.Count, agreement);
        }
        else if (target is not null && target.Mode.HasFlag(mode))
        {
            await AddAsync(waiting, target, FromStreamApp(target, agreement) ? staging.Out(tenant) : staging.In(tenant), ct);
        }

        if (withClaims)
        {
            var ofMode = all.Where(d => d.Mode.HasFlag(mode)).ToDictionary(d => d.Name);
            var seen = waiting.Select(w => w.Record.FileId).ToHashSet(StringComparer.Ordinal);
            waiting.AddRange((await files.ListAsync(tenant, ct))
                .Where(f => ofMode.ContainsKey(f.Dataset) && !seen.Contains(f.FileId) && (f.Status == FileStatus.Processing || GivenBackAfterMove(f)))
                .Select(f => new WaitingFile(f, ofMode[f.Dataset])));
        }

        // A file that replaces its dataset's rows is a batch ingestion: the stream side of a dataset of both modes leaves it.
        // A paused dataset's files are staged (recorded) but not offered: they wait for the resume.
        return waiting.Where(w => w.Record.Status is FileStatus.Staged or FileStatus.Processing && w.Dataset.Pause is null
                && (mode == IngestionMode.Batch || w.Record.Mode != LoadMode.Replace))
            .OrderBy(w => w.Record.FileId, StringComparer.Ordinal).ToList();
    }

    /// <summary>A file a failed run gave back after moving it to <c>processed/</c>: staged, and taken from there.</summary>
    private bool GivenBackAfterMove(FileRecord file) =>
        file.Status == FileStatus.Staged && staging.Resolve(file.Tenant, file.Path).StartsWith(staging.Processed(file.Tenant) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private async Task AddAsync(List<WaitingFile> waiting, Dataset dataset, string folder, CancellationToken ct)
    {
        foreach (var path in CompleteFiles(folder))
        {
            if (await RecordAsync(dataset, path, ct) is { } record)
            {
                waiting.Add(new WaitingFile(record, dataset));
            }
        }
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

    /// <summary>The record of the file at <paramref name="path"/>, staged when it has none; null when it is not to be taken now.</summary>
    private async Task<FileRecord?> RecordAsync(Dataset dataset, string path, CancellationToken ct)
    {
        var name = Path.GetFileName(path);
        if (IdName().Match(name) is not { Success: true } match)
        {
            return await stager.StageFoundAsync(dataset, path, name, null, ct);
        }

        // Named like a staged file: an upload is recorded before its file appears, so no record means the file came
        // another way (its stager was stopped between rename and record, or a tool named it so) and is staged now.
        var id = match.Groups[1].Value;
        if (await files.GetAsync(dataset.Tenant, id, ct) is not { } known)
        {
            return await stager.StageFoundAsync(dataset, path, match.Groups[2].Value, id, ct);
        }

        if (known.Path == staging.Relative(dataset.Tenant, path))
        {
            return known;
        }

        if (known.Status == FileStatus.Staged && known.Dataset == dataset.Name)
        {
            return await stager.RestageAsync(known, path, ct);
        }

        // Still being ingested from elsewhere: left alone. Ingested before: the same file put back is a new arrival.
        return known.Status is FileStatus.Staged or FileStatus.Processing ? null : await stager.StageFoundAsync(dataset, path, match.Groups[2].Value, null, ct);
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
}
