using Catalog.Datasets;
using Catalog.Files;
using Catalog.Usage;
using Ingestion.Staging;
using IngestionLog;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Platform.Api.Auth;
using Platform.Api.Docs;
using Platform.Api.Problems;

namespace Platform.Api.Files;

public sealed record UploadResponse(string FileId, string Dataset, string Name, string Status, long Bytes, string Mode);

/// <summary>
/// A file and its outcome; <paramref name="Sinks"/> says what each sink besides coredms (the lake) wrote of it: pending (spooled,
/// waiting), retrying (with the last error and attempts) or written, with the rows and files.
/// </summary>
public sealed record FileView(
    string FileId, string Dataset, string Name, string Mode, string Status, long Bytes, long? RowsRead, long? RowsLoaded, long? RowsQuarantined,
    long? RowsSkipped, DateTimeOffset ReceivedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string? Error, string? RunId,
    IReadOnlyDictionary<string, SinkView>? Sinks = null)
{
    public static FileView From(FileRecord f, IEnumerable<FileSinkRecord>? sinks = null) => new(f.FileId, f.Dataset, f.Name, f.Mode, f.Status, f.Bytes, f.RowsRead, f.RowsLoaded,
        f.RowsQuarantined, f.RowsSkipped, f.ReceivedAt, f.StartedAt, f.FinishedAt, f.Error, f.RunId,
        sinks?.ToDictionary(s => s.Sink, s => new SinkView(s.Status, s.Rows, s.Files, s.Attempts, s.Error, s.UpdatedAt)) is { Count: > 0 } views ? views : null);
}

/// <summary>Where a file stands in one sink: status, rows and files (once written), attempts and the last error.</summary>
public sealed record SinkView(string Status, long Rows, int Files, int Attempts, string? Error, DateTimeOffset UpdatedAt);

public sealed record FileList(IReadOnlyList<FileView> Files);

/// <summary>A file upload as the API documents it: one multipart field, <c>file</c>.</summary>
public sealed record FileForm(IFormFile File);

public static class FileEndpoints
{
    private static readonly (string, string) Mode = ("mode", "append (default): the file's rows are added to the dataset's; replace: once the file is " +
        "loaded its rows become the dataset's, all at once for readers (batch datasets; a file that fails leaves the old rows).");

    public static void MapFiles(this IEndpointRouteBuilder app)
    {
        var tenant = app.MapGroup("/tenants/{tenant}").ForTenant().WithTags("Files");
        tenant.MapPost("/datasets/{name}/files", Upload).DisableAntiforgery()
            .WithSummary("Upload a file (multipart field 'file'); it is staged for the dataset's next ingestion.")
            .Query(Mode).Body<FileForm>("multipart/form-data").Problems(409, 413, 415, 429, 507).LogsRefusals(IngestionEvents.UploadRefused);
        tenant.MapGet("/files", List).WithSummary("The tenant's files with status and counts, newest first.");
        tenant.MapGet("/files/{file_id}", Get);

        var seed = app.MapGroup("").ForTenant().WithTags("Seed-compatible");
        seed.MapPost("/upload-file/{tenant_id}", UploadToDefault).DisableAntiforgery()
            .WithSummary("Upload to the tenant's only (or default) dataset.")
            .Query(Mode).Body<FileForm>("multipart/form-data").Problems(409, 413, 415, 429, 507).LogsRefusals(IngestionEvents.UploadRefused);
        seed.MapGet("/tenant/{tenant_id}", List).WithSummary("The tenant's files (same as /tenants/{tenant}/files).");
    }

    public static async Task<Results<Accepted<UploadResponse>, ProblemHttpResult>> Upload(string name, HttpRequest request, TenantContext tenant,
        DatasetCatalog datasets, UploadReceiver receiver, FileStager stager, QuotaPolicy quotas, ILogger<UploadReceiver> logger, CancellationToken ct)
    {
        var dataset = await datasets.GetAsync(tenant.Id, name, ct);
        return dataset is null
            ? Problem.NotFound($"Tenant '{tenant.Id}' has no dataset '{name}'.")
            : await ReceiveAsync(request, dataset, receiver, stager, quotas, logger, ct);
    }

    public static async Task<Results<Accepted<UploadResponse>, ProblemHttpResult>> UploadToDefault(HttpRequest request, TenantContext tenant,
        DatasetCatalog datasets, UploadReceiver receiver, FileStager stager, QuotaPolicy quotas, ILogger<UploadReceiver> logger, CancellationToken ct)
    {
        var all = await datasets.ListAsync(tenant.Id, ct);
        var dataset = Dataset.OnlyOrDefault(all);
        if (dataset is null)
        {
            return all.Count == 0
                ? Problem.NotFound($"Tenant '{tenant.Id}' has no dataset yet: register one with PUT /tenants/{tenant.Id}/datasets/{{name}}.")
                : Problem.Conflict($"Tenant '{tenant.Id}' has {all.Count} datasets ({string.Join(", ", all.Select(d => d.Name))}) and none is the default: " +
                    $"upload to /tenants/{tenant.Id}/datasets/{{name}}/files, or mark one with \"default\": true.");
        }

        return await ReceiveAsync(request, dataset, receiver, stager, quotas, logger, ct);
    }

    /// <summary>
    /// Reserves the file's quotas before its body is read (its declared length, or the dataset's largest file), then
    /// receives it, stages it and settles the reservation to its real size; a refusal or a failure gives it back.
    /// </summary>
    private static async Task<Results<Accepted<UploadResponse>, ProblemHttpResult>> ReceiveAsync(
        HttpRequest request, Dataset dataset, UploadReceiver receiver, FileStager stager, QuotaPolicy quotas, ILogger logger, CancellationToken ct)
    {
        var mode = request.Query["mode"].FirstOrDefault() ?? LoadMode.Append;
        if (mode is not (LoadMode.Append or LoadMode.Replace))
        {
            return Problem.Validation("upload", [new FieldError("mode", "one-of", $"'{mode}' is not a mode: use append or replace.")]);
        }

        if (mode == LoadMode.Replace && !dataset.Mode.HasFlag(IngestionMode.Batch))
        {
            return Problem.Validation("upload", [new FieldError("mode", "batch-dataset",
                $"Dataset '{dataset.Name}' is ingested as a stream; replace takes a batch dataset (ingestion_mode batch or both).")]);
        }

        var expected = Math.Min(request.ContentLength ?? dataset.MaxFileBytes, dataset.MaxFileBytes + (64 * 1024));
        var (reservation, refusal) = await quotas.ReserveUploadAsync(dataset.Tenant, expected, ct);
        if (refusal is not null)
        {
            return QuotaProblems.Refused(request.HttpContext, logger, dataset.Tenant, refusal);
        }

        var settled = false;
        try
        {
            var (received, problem) = await receiver.ReceiveToTempAsync(request, dataset, reservation, ct);
            if (received is null)
            {
                return problem!;
            }

            var staged = await stager.StageUploadAsync(dataset, received.FileId, received.Name, received.TempPath, received.Bytes, mode);
            await quotas.SettleUploadAsync(reservation!, staged.Bytes);
            settled = true;
            return TypedResults.Accepted($"/tenants/{staged.Tenant}/files/{staged.FileId}",
                new UploadResponse(staged.FileId, staged.Dataset, staged.Name, staged.Status, staged.Bytes, staged.Mode));
        }
        finally
        {
            if (!settled)
            {
                await quotas.ReleaseUploadAsync(reservation!);
            }
        }
    }

    public static async Task<Ok<FileList>> List(TenantContext tenant, FileCatalog files, FileSinks sinks, string? status, string? dataset, int? limit, CancellationToken ct)
    {
        var all = await files.ListAsync(tenant.Id, ct);
        var written = (await sinks.OfTenantAsync(tenant.Id, ct)).ToLookup(s => s.FileId, StringComparer.Ordinal);
        var selected = all.Where(f => (status is null || f.Status == status) && (dataset is null || f.Dataset == dataset))
            .OrderByDescending(f => f.FileId, StringComparer.Ordinal)
            .Take(Math.Clamp(limit ?? 1000, 1, 10_000))
            .Select(f => FileView.From(f, written[f.FileId]))
            .ToList();
        return TypedResults.Ok(new FileList(selected));
    }

    public static async Task<Results<Ok<FileView>, ProblemHttpResult>> Get([FromRoute(Name = "file_id")] string fileId, TenantContext tenant, FileCatalog files,
        FileSinks sinks, CancellationToken ct)
    {
        var file = await files.GetAsync(tenant.Id, fileId, ct);
        return file is null ? Problem.NotFound($"Tenant '{tenant.Id}' has no file '{fileId}'.")
            : TypedResults.Ok(FileView.From(file, await sinks.OfFileAsync(tenant.Id, fileId, ct)));
    }
}
