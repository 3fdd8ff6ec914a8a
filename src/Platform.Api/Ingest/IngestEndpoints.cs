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

public sealed record RunRequested(string RunId, string Status, string Dataset);

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

    public static async Task<Results<Accepted<RunRequested>, ProblemHttpResult>> IngestNow(string name, HttpContext http, TenantContext tenant,
        DatasetCatalog datasets, AgreementCatalog agreements, RunCatalog runs, UsageMeter meter, ILogger<RunRequested> logger, CancellationToken ct)
    {
        if (await datasets.GetAsync(tenant.Id, name, ct) is null)
        {
            return Problem.NotFound($"Tenant '{tenant.Id}' has no dataset '{name}'.");
        }

        if (await agreements.GetAsync(tenant.Id, ct) is null)
        {
            return Problem.Conflict($"Tenant '{tenant.Id}' has no service agreement, so retention is unknown: PUT /tenants/{tenant.Id}/agreement first.");
        }

        var usage = await meter.MeasureAsync(tenant.Id, ct);
        if (usage.ConcurrentRuns.IsExceededBy(1))
        {
            return QuotaProblems.Exceeded(http, logger, tenant.Id, StatusCodes.Status429TooManyRequests, usage.ConcurrentRuns, usage.ConcurrentRuns.Used,
                $"Tenant '{tenant.Id}' already has {usage.ConcurrentRuns.Used} run(s) requested or running (concurrent_runs limit {usage.ConcurrentRuns.Limit}); wait for it to finish.");
        }

        if (usage.RowsPerDay.IsExceededBy(1))
        {
            return QuotaProblems.Exceeded(http, logger, tenant.Id, StatusCodes.Status429TooManyRequests, usage.RowsPerDay, usage.RowsPerDay.Used,
                $"Tenant '{tenant.Id}' has loaded {usage.RowsPerDay.Used} rows today, its rows_per_day limit is {usage.RowsPerDay.Limit}; files stay staged until tomorrow (UTC).");
        }

        var run = await runs.RequestAsync(tenant.Id, name, "manual", ct);
        return TypedResults.Accepted($"/tenants/{tenant.Id}/runs/{run.RunId}", new RunRequested(run.RunId, run.Status, name));
    }

    public static async Task<Results<Ok<ValidationResult>, ProblemHttpResult>> Validate(string name, HttpRequest request, TenantContext tenant,
        DatasetCatalog datasets, UploadReceiver receiver, FileIngestion ingestion, CancellationToken ct)
    {
        var dataset = await datasets.GetAsync(tenant.Id, name, ct);
        if (dataset is null)
        {
            return Problem.NotFound($"Tenant '{tenant.Id}' has no dataset '{name}'.");
        }

        var (received, problem) = await receiver.ReceiveToTempAsync(request, dataset, ct);
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
