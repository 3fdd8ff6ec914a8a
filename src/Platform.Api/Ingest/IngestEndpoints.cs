using Catalog.Agreements;
using Catalog.Datasets;
using Catalog.Runs;
using Catalog.Usage;
using Ingestion.Pipeline;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Api.Auth;
using Platform.Api.Files;
using Platform.Api.Problems;

namespace Platform.Api.Ingest;

/// <summary>A requested run; <c>reused</c> when a run already waiting covers the dataset (its id is returned).</summary>
public sealed record RunRequested(string RunId, string Status, string Dataset, bool Reused);

public sealed record ValidationResult(string Status, long RowsRead, long RowsLoaded, long RowsQuarantined, long RowsSkipped, string? Error,
    IReadOnlyList<ProblemSummary> Problems);

public static class IngestEndpoints
{
    public static void MapIngest(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/tenants/{tenant}/datasets/{name}").ForTenant().WithTags("Ingestion");
        group.MapPost("/ingest", IngestNow).WithSummary("Request a batch run for the dataset now (202 with the run id).");
        group.MapPost("/validate", Validate).DisableAntiforgery()
            .WithSummary("Dry run on a sample file (multipart 'file'): loads nothing, reports what ingestion would do, with counts and examples per problem.");
    }

    /// <summary>
    /// Requests a run of the dataset, or answers with the one already waiting that covers it. Runs wait in a queue of
    /// at most <see cref="RunCatalog.MaxWaiting"/> per tenant and start as the tenant's concurrent_runs allow.
    /// </summary>
    public static async Task<Results<Accepted<RunRequested>, ProblemHttpResult>> IngestNow(string name, HttpContext http, TenantContext tenant,
        DatasetCatalog datasets, AgreementCatalog agreements, RunCatalog runs, QuotaPolicy quotas, ILogger<RunRequested> logger, CancellationToken ct)
    {
        if (await datasets.GetAsync(tenant.Id, name, ct) is null)
        {
            return Problem.NotFound($"Tenant '{tenant.Id}' has no dataset '{name}'.");
        }

        if (await AgreementProblems.MissingAsync(agreements, tenant.Id, ct) is { } missing)
        {
            return missing;
        }

        if (await quotas.RowsLeftAsync(tenant.Id, ct) is { } refusal)
        {
            return QuotaProblems.Exceeded(http, logger, tenant.Id, refusal);
        }

        var (run, reused) = await runs.RequestOnceAsync(tenant.Id, name, "manual", ct);
        if (run is null)
        {
            return QuotaProblems.Exceeded(http, logger, tenant.Id, new QuotaRefusal("waiting_runs", RunCatalog.MaxWaiting, RunCatalog.MaxWaiting,
                StatusCodes.Status429TooManyRequests, $"Tenant '{tenant.Id}' has {RunCatalog.MaxWaiting} runs waiting already; ask again once some have started."));
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
                result.Error, report.Problems));
        }
        finally
        {
            File.Delete(received.TempPath);
        }
    }
}
