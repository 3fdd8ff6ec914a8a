using Coredms;
using Catalog.Datasets;
using Catalog.Files;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using IngestionLog;
using Platform.Api.Problems;

namespace Platform.Api.Files;

/// <summary>The outcome of receiving an upload: the staged file, or the problem that stopped it.</summary>
public sealed record ReceivedUpload(FileRecord? File, ProblemHttpResult? Problem);

/// <summary>A complete upload in <c>.incoming/</c>, not yet staged: the caller stages it or deletes it.</summary>
public sealed record ReceivedFile(string TempPath, string FileId, string Name, long Bytes);

/// <summary>
/// Receives a multipart upload straight to disk: the body is read section by section and the file part is
/// copied through a small buffer into <c>.incoming/</c>, counting bytes, so that memory stays flat and an
/// oversized file is cut off as soon as it passes the limit. Only a complete file is renamed into
/// <c>in/{dataset}/</c> and recorded; anything else leaves nothing behind.
/// </summary>
public sealed class UploadReceiver(StagingArea staging, FileCatalog files, DataClock clock, ILogger<UploadReceiver> logger)
{
    private const int SniffBytes = 8 * 1024;
    private static readonly byte[] AvroMagic = "Obj"u8.ToArray().Append((byte)1).ToArray();

    /// <summary>Receives and stages the upload.</summary>
    public async Task<ReceivedUpload> ReceiveAsync(HttpRequest request, Dataset dataset, CancellationToken ct)
    {
        var (received, problem) = await ReceiveToTempAsync(request, dataset, ct);
        return received is null ? Fail(problem!) : await StageAsync(received, dataset);
    }

    /// <summary>Receives the upload into <c>.incoming/</c> (nothing is left there when it fails).</summary>
    public async Task<(ReceivedFile? File, ProblemHttpResult? Problem)> ReceiveToTempAsync(HttpRequest request, Dataset dataset, CancellationToken ct)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 } boundary)
        {
            return (null, Problem.UnsupportedMediaType("Upload the file as multipart/form-data in a field named 'file' (curl -F 'file=@data.csv')."));
        }

        var limit = dataset.MaxFileBytes;
        if (request.ContentLength is { } length && length > limit + (64 * 1024))
        {
            return (null, TooLarge(dataset, length));
        }

        var reader = new MultipartReader(boundary, request.Body) { HeadersLengthLimit = 16 * 1024 };
        MultipartSection? section;
        while ((section = await reader.ReadNextSectionAsync(ct)) is not null)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase)
                || HeaderUtilities.RemoveQuotes(disposition.Name).Value != "file")
            {
                continue;
            }

            var original = HeaderUtilities.RemoveQuotes(disposition.FileNameStar).Value ?? HeaderUtilities.RemoveQuotes(disposition.FileName).Value;
            var name = FileNames.Sanitize(original);
            if (TypeProblem(dataset, name) is { } typeProblem)
            {
                return (null, typeProblem);
            }

            return await ReceiveBodyAsync(section.Body, dataset, name, ct);
        }

        return (null, Problem.Validation("upload", [new FieldError("file", "required", "is required: a multipart field named 'file' with the file's content")]));
    }

    private async Task<(ReceivedFile? File, ProblemHttpResult? Problem)> ReceiveBodyAsync(Stream body, Dataset dataset, string name, CancellationToken ct)
    {
        var fileId = FileCatalog.NewId();
        Directory.CreateDirectory(staging.Incoming(dataset.Tenant));
        var temp = Path.Combine(staging.Incoming(dataset.Tenant), fileId + ".part");
        var kept = false;
        try
        {
            long bytes = 0;
            var buffer = new byte[81920];
            await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                int read;
                while ((read = await body.ReadAsync(buffer, ct)) > 0)
                {
                    if (bytes == 0 && ContentProblem(dataset, buffer.AsSpan(0, Math.Min(read, SniffBytes))) is { } contentProblem)
                    {
                        return (null, contentProblem);
                    }

                    bytes += read;
                    if (bytes > dataset.MaxFileBytes)
                    {
                        return (null, TooLarge(dataset, bytes));
                    }

                    await output.WriteAsync(buffer.AsMemory(0, read), ct);
                }

                // On disk before the platform says "accepted": a 202 must survive a power loss.
                output.Flush(flushToDisk: true);
            }

            if (bytes == 0)
            {
                return (null, Problem.Validation("upload", [new FieldError("file", "not_empty", "the file is empty")]));
            }

            kept = true;
            return (new ReceivedFile(temp, fileId, name, bytes), null);
        }
        finally
        {
            if (!kept && File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>Renames a received file into <c>in/{dataset}/</c> and records it as staged; deletes it if that fails.</summary>
    public async Task<ReceivedUpload> StageAsync(ReceivedFile received, Dataset dataset)
    {
        var tenant = dataset.Tenant;
        var folder = staging.In(tenant, dataset.Name);
        Directory.CreateDirectory(folder);
        var final = Path.Combine(folder, $"{received.FileId}__{received.Name}");
        try
        {
            File.Move(received.TempPath, final, overwrite: false);
            var record = new FileRecord(tenant, received.FileId, dataset.Name, received.Name, staging.Relative(tenant, final), FileStatus.Staged, received.Bytes, clock.GetUtcNow());
            await files.SaveAsync(record, CancellationToken.None);
            logger.IngestionEvent(IngestionEvents.FileStaged, "{EventAction}: {TenantId}/{Dataset} file {FileId} ({Bytes} bytes) as {FileName}",
                IngestionEvents.FileStaged, tenant, dataset.Name, received.FileId, received.Bytes, received.Name);
            return new ReceivedUpload(record, null);
        }
        catch
        {
            File.Delete(received.TempPath);
            File.Delete(final);
            throw;
        }
    }

    private static ProblemHttpResult? TypeProblem(Dataset dataset, string name) =>
        FileNames.TypeProblem(dataset.FileType, name) is { } problem ? Problem.UnsupportedMediaType($"Dataset '{dataset.Name}' {problem}.") : null;

    private static ProblemHttpResult? ContentProblem(Dataset dataset, ReadOnlySpan<byte> head)
    {
        if (dataset.FileType == FileType.Avro)
        {
            return head.StartsWith(AvroMagic) ? null : Problem.UnsupportedMediaType("The file is not an Avro object container file (it does not start with 'Obj\\x01').");
        }

        return head.Contains((byte)0) ? Problem.UnsupportedMediaType("The file contains NUL bytes, so it is not CSV/TSV text (compressed or binary files are not accepted).") : null;
    }

    private static ProblemHttpResult TooLarge(Dataset dataset, long bytes) => Problem.TooLarge(
        $"The file is larger than dataset '{dataset.Name}' accepts (max_file_size_mb {dataset.MaxFileBytes / (1024 * 1024)}).",
        new Dictionary<string, object?> { ["quota"] = "max_file_size_mb", ["limit"] = dataset.MaxFileBytes, ["usage"] = bytes });

    private static ReceivedUpload Fail(ProblemHttpResult problem) => new(null, problem);
}
