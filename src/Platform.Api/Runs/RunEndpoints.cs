using Catalog.Runs;
using Catalog.Usage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Platform.Api.Auth;
using Platform.Api.Problems;

namespace Platform.Api.Runs;

/// <summary>A run: what started it, what it did to each file (<c>file_results</c>), and a status that says so.</summary>
public sealed record RunView(string RunId, string? Dataset, string Trigger, string Status, DateTimeOffset RequestedAt, DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt, int Files, long RowsLoaded, long RowsQuarantined, string? Error, IReadOnlyList<RunFile> FileResults)
{
    public static RunView From(RunRecord r) => new(r.RunId, r.Dataset, r.Trigger, r.Status, r.RequestedAt, r.StartedAt, r.FinishedAt, r.Files,
        r.RowsLoaded, r.RowsQuarantined, r.Error, r.FileResults ?? []);
}

public sealed record RunList(IReadOnlyList<RunView> Runs);

public sealed record QuotaView(long? Limit, long Used);

public sealed record UsageView(IReadOnlyDictionary<string, QuotaView> Quotas, long StorageBytes, long StagedBytes);

public static class RunEndpoints
{
    public static void MapRuns(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/tenants/{tenant}").ForTenant().WithTags("Runs");
        group.MapGet("/runs", List).WithSummary("The tenant's batch runs, newest first.");
        group.MapGet("/runs/{run_id}", Get);
        group.MapGet("/usage", Usage).WithSummary("Usage against each quota of the agreement (limit null: no limit).");
    }

    public static async Task<Ok<RunList>> List(TenantContext tenant, RunCatalog runs, CancellationToken ct) =>
        TypedResults.Ok(new RunList((await runs.ListAsync(tenant.Id, ct)).OrderByDescending(r => r.RunId, StringComparer.Ordinal).Select(RunView.From).ToList()));

    public static async Task<Results<Ok<RunView>, ProblemHttpResult>> Get([FromRoute(Name = "run_id")] string runId, TenantContext tenant, RunCatalog runs, CancellationToken ct) =>
        await runs.GetAsync(tenant.Id, runId, ct) is { } run ? TypedResults.Ok(RunView.From(run)) : Problem.NotFound($"Tenant '{tenant.Id}' has no run '{runId}'.");

    public static async Task<Ok<UsageView>> Usage(TenantContext tenant, UsageMeter meter, CancellationToken ct)
    {
        var u = await meter.MeasureAsync(tenant.Id, ct);
        var quotas = new[] { u.FilesPerDay, u.RowsPerDay, u.StorageMb, u.ConcurrentRuns }.ToDictionary(q => q.Quota, q => new QuotaView(q.Limit, q.Used));
        return TypedResults.Ok(new UsageView(quotas, u.StorageBytes, u.StagedBytes));
    }
}
