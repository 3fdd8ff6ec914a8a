using Catalog.Datasets;
using Catalog.Runs;
using Catalog.Usage;
using Ingestion.Pipeline;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Api.Auth;
using Platform.Api.Docs;
using Platform.Api.Files;
using Platform.Api.Problems;
using Platform.Api.Rows;

namespace Platform.Api.Ingest;

/// <summary>A requested run; <c>reused</c> when a run already waiting covers the dataset (its id is returned).</summary>
public sealed record RunRequested(string RunId, string Status, string Dataset, bool Reused);

public sealed record ValidationResult(string Status, long RowsRead, long RowsLoaded, long RowsQuarantined, long RowsSkipped, string? Error,
    IReadOnlyList<ProblemView> Problems);

/// <summary>One kind of problem a dry run found: how many rows had it, and the first few as the quarantine would show them.</summary>
public sealed record ProblemView(string Rule, long Count, IReadOnlyList<QuarantineView> Examples);

public static class IngestEndpoints
{
    public static void MapIngest(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/tenants/{tenant}/datasets/{name}").ForTenant().WithTags("Ingestion");
        group.MapPost("/ingest", IngestNow).WithSummary("Request a batch run for the dataset now (202 with the run id).")
            .Problems(409, 429);
        group.MapPost("/validate", Validate).DisableAntiforgery()
            .WithSummary("Dry run on a sample file (multipart 'file'): loads nothing, reports what ingestion would do, with counts and examples per problem.")
            .Body<Files.FileForm>("multipart/form-data").Problems(413, 415);
    }

    /// <summary>
    /// Requests a run of the dataset, or answers with the one already waiting that covers it. Runs wait in a queue of
    /// at most <see cref="QuotaPolicy.MaxWaitingRuns"/> per tenant and start as the tenant's concurrent_runs allow.
    /// </summary>
    public static async Task<Results<Accepted<RunRequested>, ProblemHttpResult>> IngestNow(string name, HttpContext http, TenantContext tenant,
        DatasetCatalog datasets, RunCatalog runs, QuotaPolicy quotas, ILogger<RunRequested> logger, CancellationToken ct)
    {
        if (await datasets.GetAsync(tenant.Id, name, ct) is not { } dataset)
        {
            return Problem.NotFound($"Tenant '{tenant.Id}' has no dataset '{name}'.");
        }

        if (dataset.Pause is not null)
        {
            return Problem.Paused(dataset, "runs skip it, and its files stay staged until it is resumed");
        }

        if ((await quotas.AdmitAsync(tenant.Id, ct)).Refusal is { } refusal)
        {
            return QuotaProblems.Refused(http, logger, tenant.Id, refusal);
        }

        var (run, reused) = await runs.RequestOnceAsync(tenant.Id, name, "manual", QuotaPolicy.MaxWaitingRuns, ct);
        if (run is null)
        {
            return QuotaProblems.Refused(http, logger, tenant.Id, QuotaPolicy.QueueFull(tenant.Id));
        }

        return TypedResults.Accepted($"/tenants/{tenant.Id}/runs/{run.RunId}", new RunRequested(run.RunId, run.Status, run.Dataset ?? name, reused));
    }

    public static async Task<Results<Ok<ValidationResult>, ProblemHttpResult>> Validate(string name, HttpRequest request, TenantContext tenant,
        DatasetCatalog datasets, UploadReceiver receiver, FileIngestion ingestion, CancellationToken ct)
    {
        var dataset = await datasets.GetAsync(tenant.Id, name, ct);
        if (dataset is null)
        {
            return Problem.NotFound($"Tenant '{tenant.Id}' has no dataset '{name}'.");
        }

        var (received, problem) = await receiver.ReceiveToTempAsync(request, dataset, null, ct);
        if (received is null)
        {
            return problem!;
        }

        try
        {
            var report = new ValidationReport();
            var result = await ingestion.RunAsync(dataset, "validation", () => File.OpenRead(received.TempPath), report, ct: ct);
            return TypedResults.Ok(new ValidationResult(result.Status, result.RowsRead, result.RowsLoaded, result.RowsQuarantined, result.RowsSkipped,
                result.Error, report.Problems.Select(p => new ProblemView(p.Rule, p.Count, p.Examples.Select(QuarantineView.From).ToList())).ToList()));
        }
        finally
        {
            File.Delete(received.TempPath);
        }
    }
}
