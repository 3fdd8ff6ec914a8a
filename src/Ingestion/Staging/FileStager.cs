using Catalog.Datasets;
using Catalog.Files;
using Catalog.Usage;
using Coredms;
using IngestionLog;
using Microsoft.Extensions.Logging;

namespace Ingestion.Staging;

/// <summary>
/// The one place a file becomes staged: its catalog record says <c>staged</c> and the file is in its dataset's folder
/// as <c>{file_id}__{name}</c>. An upload is recorded before it is renamed into place, so a file named like an
/// upload is never seen without its record; a file found in a staging folder (dropped by the tenant, written by its
/// app) is renamed first, the rename being what keeps two scanners from both taking it, and then recorded.
/// </summary>
public sealed class FileStager(FileCatalog files, StagingArea staging, QuotaPolicy quotas, DataClock clock, ILogger<FileStager> logger)
{
    /// <summary>
    /// Stages an upload received whole at <paramref name="received"/> (under <c>.incoming/</c>). Its bytes are already
    /// reserved by the upload. When the rename fails the record is taken back and the file removed.
    /// </summary>
    public async Task<FileRecord> StageUploadAsync(Dataset dataset, string fileId, string name, string received, long bytes, string mode = LoadMode.Append)
    {
        var tenant = dataset.Tenant;
        var folder = staging.In(tenant, dataset.Name);
        var final = Path.Combine(folder, $"{fileId}__{name}");
        var record = new FileRecord(tenant, fileId, dataset.Name, name, staging.Relative(tenant, final), FileStatus.Staged, bytes, clock.GetUtcNow(), Mode: mode);
        try
        {
            await files.SaveAsync(record, CancellationToken.None);
            try
            {
                Directory.CreateDirectory(folder);
                File.Move(received, final, overwrite: false);
            }
            catch
            {
                await files.DeleteAsync(tenant, fileId, CancellationToken.None);
                throw;
            }
        }
        catch
        {
            File.Delete(received);
            throw;
        }

        Staged(record, "uploaded");
        return record;
    }

    /// <summary>
    /// Stages a complete file found at <paramref name="path"/>: renamed to <c>{file_id}__{name}</c> in its dataset's
    /// folder (a new id unless <paramref name="id"/> is kept from its name) and recorded, as failed when its type is
    /// not the dataset's. Null when another scanner took it first.
    /// </summary>
    public async Task<FileRecord?> StageFoundAsync(Dataset dataset, string path, string originalName, string? id, CancellationToken ct)
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
            problem is null ? FileStatus.Staged : FileStatus.Failed, LengthOf(target) ?? 0, now,
            FinishedAt: problem is null ? null : now, Error: problem is null ? null : $"dataset '{dataset.Name}' {problem}");
        await files.SaveAsync(record, ct);
        if (record.Status == FileStatus.Staged)
        {
            await quotas.FileArrivedAsync(tenant, record.Bytes);
        }

        Staged(record, "found in " + staging.Relative(tenant, Path.GetDirectoryName(path)!));
        if (problem is not null)
        {
            logger.IngestionEvent(IngestionEvents.FileFailed, "{EventAction}: {TenantId}/{Dataset} file {FileId} failed after {RowsRead} rows: {ErrorMessage}",
                tenant, dataset.Name, id, 0, record.Error);
        }

        return record;
    }

    /// <summary>
    /// An upload the tenant's stream app rewrote from <c>in/</c> to <c>out/</c> (same id): the rewritten file is the one
    /// to ingest, and its size is what waits in staging now.
    /// </summary>
    public async Task<FileRecord> RestageAsync(FileRecord known, string path, CancellationToken ct)
    {
        var moved = known with { Path = staging.Relative(known.Tenant, path), Bytes = LengthOf(path) ?? known.Bytes };
        await files.SaveAsync(moved, ct);
        await quotas.FileArrivedAsync(known.Tenant, moved.Bytes - known.Bytes);
        return moved;
    }

    private void Staged(FileRecord record, string how) =>
        logger.IngestionEvent(IngestionEvents.FileStaged, "{EventAction}: {TenantId}/{Dataset} file {FileId} ({Bytes} bytes) as {FileName}, {How}",
            record.Tenant, record.Dataset, record.FileId, record.Bytes, record.Name, how);

    private static long? LengthOf(string path)
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
