using Coredms;
using Catalog.Datasets;
using Catalog.Files;
using Catalog.Usage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using IngestionLog;
using Platform.Api.Problems;

namespace Platform.Api.Files;

/// <summary>A complete upload in <c>.incoming/</c>, not yet staged: the caller stages it or deletes it.</summary>
public sealed record ReceivedFile(string TempPath, string FileId, string Name, long Bytes);

/// <summary>
/// Receives a multipart upload straight to disk: the body is read section by section and the file part is
/// copied through a small buffer into <c>.incoming/</c>, counting bytes, so that memory stays flat and an
/// oversized file is cut off as soon as it passes the limit. A complete file is handed back for staging (see
/// <see cref="Ingestion.Staging.FileStager"/>); anything else leaves nothing behind.
/// </summary>
public sealed class UploadReceiver(StagingArea staging, Ingestion.Claims.WorkerIdentity me)
{
    private static readonly byte[] AvroMagic = "Obj"u8.ToArray().Append((byte)1).ToArray();

    /// <summary>A reader of the request's body when it is multipart/form-data with a boundary, else null.</summary>
    public static MultipartReader? MultipartOf(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
        && mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
        && HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is { Length: > 0 } boundary
            ? new MultipartReader(boundary, request.Body) { HeadersLengthLimit = 16 * 1024 }
            : null;

    /// <summary>Whether the section is the form's <c>file</c> field, and the file name it gives (null when none).</summary>
    public static bool IsFileField(MultipartSection section, out string? fileName)
    {
        fileName = null;
        if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
            || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(disposition.Name).Value != "file")
        {
            return false;
        }

        fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar).Value ?? HeaderUtilities.RemoveQuotes(disposition.FileName).Value;
        return true;
    }

    /// <summary>
    /// Receives the upload into <c>.incoming/</c> (nothing is left there when it fails). While it is received its
    /// file is named <c>{file_id}.{reservation}.part</c> (see <see cref="PartFile"/>), so that a process killed
    /// mid-upload leaves a file that says which quota reservation to give back.
    /// </summary>
    public async Task<(ReceivedFile? File, ProblemHttpResult? Problem)> ReceiveToTempAsync(HttpRequest request, Dataset dataset, UploadReservation? reservation, CancellationToken ct)
    {
        if (MultipartOf(request) is not { } reader)
        {
            return (null, Problem.UnsupportedMediaType("Upload the file as multipart/form-data in a field named 'file' (curl -F 'file=@data.csv')."));
        }

        var limit = dataset.MaxFileBytes;
        if (request.ContentLength is { } length && length > limit + (64 * 1024))
        {
            return (null, TooLarge(dataset, length));
        }

        (ReceivedFile? File, ProblemHttpResult? Problem) received = (null, null);
        MultipartSection? section;
        while ((section = await reader.ReadNextSectionAsync(ct)) is not null)
        {
            if (!IsFileField(section, out var original))
            {
                continue;
            }

            if (received.File is not null)
            {
                // A second file in one request: refused whole rather than one of them dropped unsaid.
                File.Delete(received.File.TempPath);
                return (null, Problem.Validation("upload", [new FieldError("file", "single",
                    "the request has more than one 'file' part; upload one file per request")]));
            }

            var name = FileNames.Sanitize(original);
            if (TypeProblem(dataset, name) is { } typeProblem)
            {
                return (null, typeProblem);
            }

            received = await ReceiveBodyAsync(section.Body, dataset, name, reservation, ct);
            if (received.File is null)
            {
                return received;
            }
        }

        return received.File is not null
            ? received
            : (null, Problem.Validation("upload", [new FieldError("file", "required", "is required: a multipart field named 'file' with the file's content")]));
    }

    private async Task<(ReceivedFile? File, ProblemHttpResult? Problem)> ReceiveBodyAsync(Stream body, Dataset dataset, string name,
        UploadReservation? reservation, CancellationToken ct)
    {
        var fileId = FileCatalog.NewId();
        Directory.CreateDirectory(staging.Incoming(dataset.Tenant));
        var temp = Path.Combine(staging.Incoming(dataset.Tenant), new PartFile(fileId, reservation?.Day, reservation?.Bytes ?? 0, me.Id).Name);
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
                    if (dataset.FileType != FileType.Avro && buffer.AsSpan(0, read).IndexOf((byte)0) is >= 0 and var at)
                    {
                        return (null, Problem.UnsupportedMediaType(
                            $"The file has a NUL byte at offset {bytes + at}, so it is not CSV/TSV text (compressed or binary files are not accepted)."));
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

            if (dataset.FileType == FileType.Avro && !StartsWithAvroMagic(temp))
            {
                return (null, Problem.UnsupportedMediaType("The file is not an Avro object container file (it does not start with 'Obj\\x01')."));
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

    private static ProblemHttpResult? TypeProblem(Dataset dataset, string name) =>
        FileNames.TypeProblem(dataset.FileType, name) is { } problem ? Problem.UnsupportedMediaType($"Dataset '{dataset.Name}' {problem}.") : null;

    private static bool StartsWithAvroMagic(string path)
    {
        Span<byte> head = stackalloc byte[4];
        using var file = File.OpenRead(path);
        return file.ReadAtLeast(head, 4, throwOnEndOfStream: false) == 4 && head.SequenceEqual(AvroMagic);
    }

    private static ProblemHttpResult TooLarge(Dataset dataset, long bytes) => Problem.TooLarge(
        $"The file is larger than dataset '{dataset.Name}' accepts (max_file_size_mb {dataset.MaxFileBytes / (1024 * 1024)}).",
        new Dictionary<string, object?> { ["quota"] = "max_file_size_mb", ["limit"] = dataset.MaxFileBytes, ["usage"] = bytes });

}

/// <summary>
/// The name of an upload being received: <c>{file_id}.{yyyyMMdd}.{reserved bytes}.{owner}.part</c> (owner: the
/// receiving process, as <see cref="Ingestion.Claims.WorkerIdentity"/> names it with ':' as '~'). From it, a
/// leftover's quota reservation can be given back once its process is known to be gone.
/// </summary>
public sealed record PartFile(string FileId, DateOnly? Day, long Bytes, string Owner)
{
    public string Name => $"{FileId}.{Day?.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture) ?? "0"}.{Bytes}.{Owner.Replace(':', '~')}.part";

    /// <summary>The parts of a leftover's name, or null when it is not one the platform made.</summary>
    public static PartFile? Parse(string name)
    {
        var parts = name.Split('.', 5);
        if (parts is not [var id, var day, var bytes, var owner, "part"] || !long.TryParse(bytes, System.Globalization.CultureInfo.InvariantCulture, out var reserved))
        {
            return null;
        }

        DateOnly? reservedDay = DateOnly.TryParseExact(day, "yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var d) ? d : null;
        return new PartFile(id, reservedDay, reserved, owner.Replace('~', ':'));
    }
}
