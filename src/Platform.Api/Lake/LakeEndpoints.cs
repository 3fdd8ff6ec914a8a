using Catalog.Datasets;
using Ingestion.Lake;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Api.Auth;
using Platform.Api.Docs;
using Platform.Api.Problems;

namespace Platform.Api.Lake;

/// <summary>One Parquet file of a dataset's lake: its name within its partition, size and when it was written.</summary>
public sealed record LakeFileView(string Name, long Bytes, DateTimeOffset Modified);

/// <summary>A partition of a dataset's lake (<c>date=2026-12-01/hour=07</c>) and its files.</summary>
public sealed record LakePartitionView(string Partition, long Bytes, IReadOnlyList<LakeFileView> Files);

/// <summary>A dataset's lake: where it is (the key prefix below the lake's root), its sink settings and partitions.</summary>
public sealed record LakeView(string Dataset, string Prefix, string? PartitionBy, string Compression, int Files, long Bytes, IReadOnlyList<LakePartitionView> Partitions);

public static class LakeEndpoints
{
    public static void MapLake(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/tenants/{tenant}/datasets").ForTenant().WithTags("Lake");
        group.MapGet("/{name}/lake", List).WithSummary("The dataset's data lake: its Parquet files by partition (only whole files are ever listed).");
        group.MapPost("/{name}/query", Query)
            .WithSummary("Run one read-only SELECT over the dataset's lake files with DuckDB; the dataset is the table, named as the dataset (quoted when it has '-' or '.').")
            .Problems(400, 404, 409, 429);
    }

    public static async Task<Results<Ok<LakeQueryResult>, ProblemHttpResult>> Query(string name, LakeQueryRequest request, TenantContext tenant, DatasetCatalog datasets,
        LakeQuery query, HttpContext http, CancellationToken ct)
    {
        var (dataset, refused) = await WithLakeAsync(name, tenant, datasets, ct);
        if (refused is not null)
        {
            return refused;
        }

        var (turn, limit, allowed) = query.TryEnter(tenant.Id);
        if (turn is null)
        {
            http.Response.Headers.RetryAfter = "1";
            return Problem.Of(StatusCodes.Status429TooManyRequests, "query-concurrency", "Too many lake queries at once",
                limit == "queries_per_tenant"
                    ? $"Tenant '{tenant.Id}' may run {allowed} lake queries at once and has that many running; send this one again once one has answered (Retry-After)."
                    : $"The platform runs {allowed} lake queries at once and is running that many; send this one again after Retry-After.",
                new Dictionary<string, object?> { ["quota"] = limit, ["limit"] = allowed });
        }

        using var _ = turn;
        var (result, problem, empty) = await query.RunAsync(dataset!, request, ct);
        return problem is not null ? Problem.Validation("lake query", [problem])
            : empty ? Problem.Of(StatusCodes.Status409Conflict, "lake-empty", "The lake is empty", $"Dataset '{name}' has no lake files yet: they are written once rows are ingested.")
            : TypedResults.Ok(result!);
    }

    /// <summary>The tenant's dataset when it has a lake sink; else 404 (no such dataset) or 409 (no lake sink).</summary>
    private static async Task<(Dataset? Dataset, ProblemHttpResult? Problem)> WithLakeAsync(string name, TenantContext tenant, DatasetCatalog datasets, CancellationToken ct) =>
        await datasets.GetAsync(tenant.Id, name, ct) switch
        {
            null => (null, Problem.NotFound($"Tenant '{tenant.Id}' has no dataset '{name}'.")),
            { Lake: null } => (null, Problem.Of(StatusCodes.Status409Conflict, "no-lake-sink", "No lake sink",
                $"Dataset '{name}' has no lake sink; add {{\"type\": \"lake\"}} to its 'sinks' to write one.")),
            var dataset => (dataset, null),
        };

    public static async Task<Results<Ok<LakeView>, ProblemHttpResult>> List(string name, TenantContext tenant, DatasetCatalog datasets, ILakeStore store, CancellationToken ct)
    {
        var (dataset, refused) = await WithLakeAsync(name, tenant, datasets, ct);
        if (refused is not null)
        {
            return refused;
        }

        var lake = dataset!.Lake!;
        var prefix = LakeKeys.Prefix(tenant.Id, name);
        var partitions = (await store.ListAsync(prefix, ct))
            .Where(o => o.Key.EndsWith(".parquet", StringComparison.Ordinal))
            .GroupBy(o => o.Key[prefix.Length..o.Key.LastIndexOf('/')])
            .Select(g => new LakePartitionView(g.Key, g.Sum(o => o.Bytes), g.Select(o => new LakeFileView(o.Key[(o.Key.LastIndexOf('/') + 1)..], o.Bytes, o.Modified)).ToList()))
            .ToList();
        return TypedResults.Ok(new LakeView(name, prefix, lake.PartitionBy, lake.Compression.ToString().ToLowerInvariant(), partitions.Sum(p => p.Files.Count),
            partitions.Sum(p => p.Bytes), partitions));
    }
}
