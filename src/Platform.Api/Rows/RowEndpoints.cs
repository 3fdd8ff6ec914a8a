using System.Text;
using System.Text.Json.Nodes;
using Catalog.Datasets;
using Coredms;
using Ingestion.Pipeline;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Api.Auth;
using Platform.Api.Docs;
using Platform.Api.Problems;

namespace Platform.Api.Rows;

public sealed record RowList(IReadOnlyList<JsonObject> Rows, string? PagingState);

public sealed record QuarantineView(string FileId, long Line, string Column, string Rule, string Reason, string Raw, DateTimeOffset? QuarantinedAt)
{
    public static QuarantineView From(QuarantinedRow q) => new(q.FileId, q.Line, q.Column, q.Rule, q.Reason, q.Raw, q.QuarantinedAt);
}

public sealed record QuarantineList(IReadOnlyList<QuarantineView> Rows, string? PagingState);

public static class RowEndpoints
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 10_000;

    private static readonly (string, string) Limit = ("limit", $"Rows per page, 1 to {MaxLimit} ({DefaultLimit} by default).");
    private static readonly (string, string) PagingState = ("paging_state", "The paging_state of the previous page.");

    public static void MapRows(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/tenants/{tenant}/datasets/{name}").ForTenant().WithTags("Rows");
        group.MapGet("/rows", ReadRows)
            .WithSummary("Rows, by primary key (?field=value for leading key fields) and paged (?limit=, ?paging_state=).")
            .Query(("*", "Leading primary key fields and their values, e.g. sensor_id=7."), Limit, PagingState).Problems(409);
        group.MapGet("/quarantine", ReadQuarantine).WithSummary("Quarantined rows with file, line, column, rule, reason and the raw line (?file_id=, ?limit=, ?paging_state=).")
            .Query(("file_id", "Only this file's rows."), Limit, PagingState);
    }

    public static async Task<Results<Ok<RowList>, ProblemHttpResult>> ReadRows(string name, HttpRequest request, TenantContext tenant,
        DatasetCatalog datasets, ICoredms coredms, CancellationToken ct)
    {
        var (dataset, limit, problem) = await ListingAsync(name, request, tenant, datasets, ct);
        if (problem is not null)
        {
            return problem;
        }

        var (prefix, keyProblem) = KeyPrefix(dataset!, request.Query);
        if (keyProblem is not null)
        {
            return keyProblem;
        }

        // A paging state names the table it pages through: after a replace switched the dataset's table, the next page
        // would mix the old rows with the new, so the reader is told to start again.
        string? state = null;
        if (request.Query["paging_state"].FirstOrDefault() is { } given)
        {
            var dot = given.IndexOf('.', StringComparison.Ordinal);
            if (dot < 1)
            {
                return ForeignPagingState();
            }

            if (given[..dot] != dataset!.TableName)
            {
                return Replaced(name);
            }

            state = given[(dot + 1)..];
        }

        try
        {
            return await PageAsync(dataset!);
        }
        catch (CoredmsException e)
        {
            // A replace may have switched the dataset to its new table and dropped the one this read went to: a first page
            // is read from the new table; a paging state belongs to the dropped one, so the reader starts again.
            if (await datasets.GetAsync(tenant.Id, name, ct) is { } now && now.TableName != dataset!.TableName)
            {
                return state is null ? await PageAsync(now) : Replaced(name);
            }

            if (e is PagingStateException)
            {
                return ForeignPagingState();
            }

            throw;
        }

        async Task<Ok<RowList>> PageAsync(Dataset from)
        {
            var page = await coredms.SelectAsync(from.Table, new SelectQuery(prefix!, limit, state), ct);
            return TypedResults.Ok(new RowList(page.Rows.Select(r => RowRenderer.Render(from, r)).ToList(),
                page.PagingState is null ? null : from.TableName + "." + page.PagingState));
        }
    }

    public static async Task<Results<Ok<QuarantineList>, ProblemHttpResult>> ReadQuarantine(string name, HttpRequest request, TenantContext tenant,
        DatasetCatalog datasets, ICoredms coredms, CancellationToken ct)
    {
        var (dataset, limit, problem) = await ListingAsync(name, request, tenant, datasets, ct);
        if (problem is not null)
        {
            return problem;
        }

        object?[] prefix = request.Query["file_id"].FirstOrDefault() is { } fileId ? [dataset!.Name, fileId] : [dataset!.Name];
        try
        {
            var page = await coredms.SelectAsync(dataset.Quarantine, new SelectQuery(prefix, limit, request.Query["paging_state"].FirstOrDefault()), ct);
            return TypedResults.Ok(new QuarantineList(page.Rows.Select(Quarantine.Read).Select(QuarantineView.From).ToList(), page.PagingState));
        }
        catch (PagingStateException)
        {
            return ForeignPagingState();
        }
    }

    /// <summary>What both listings start with: the tenant's dataset (404 when it has none) and the page size (400 when it is not one).</summary>
    private static async Task<(Dataset? Dataset, int Limit, ProblemHttpResult? Problem)> ListingAsync(string name, HttpRequest request, TenantContext tenant,
        DatasetCatalog datasets, CancellationToken ct)
    {
        var dataset = await datasets.GetAsync(tenant.Id, name, ct);
        if (dataset is null)
        {
            return (null, 0, Problem.NotFound($"Tenant '{tenant.Id}' has no dataset '{name}'."));
        }

        var (limit, error) = QueryLimit.Parse(request.Query, DefaultLimit, MaxLimit);
        return (dataset, limit, error is null ? null : Problem.Validation("query", [error]));
    }

    private static ProblemHttpResult Replaced(string name) => Problem.Of(StatusCodes.Status409Conflict, "dataset-replaced", "The dataset was replaced",
        $"Dataset '{name}' was replaced since this paging state was issued; read it again from the first page.");

    private static ProblemHttpResult ForeignPagingState() =>
        Problem.Validation("query", [new FieldError("paging_state", "paging_state", "is not a paging state this listing returned")]);

    /// <summary>
    /// The key prefix from the query: values for the leading primary key fields, converted like file values.
    /// A prefix must cover the whole partition key (or be empty), as Cassandra requires.
    /// </summary>
    private static (object?[]? Prefix, ProblemHttpResult? Problem) KeyPrefix(Dataset dataset, IQueryCollection query)
    {
        var given = query.Keys.Where(k => k is not ("limit" or "paging_state")).ToDictionary(k => k, k => query[k].FirstOrDefault());
        var (prefix, errors) = KeyPrefix(dataset, given, "");
        return errors.Count > 0 ? (null, Problem.Validation("query", errors)) : (prefix, null);
    }

    /// <summary>
    /// Leading primary key fields and their values as text (a query's, or a body's), converted by the fields' types:
    /// the typed prefix, or every problem with its field under <paramref name="path"/>. A prefix holds the whole
    /// partition key or nothing.
    /// </summary>
    internal static (object?[] Prefix, List<FieldError> Errors) KeyPrefix(Dataset dataset, IReadOnlyDictionary<string, string?> values, string path)
    {
        var errors = new List<FieldError>();
        foreach (var key in values.Keys.Where(k => !dataset.PrimaryKey.Contains(k)))
        {
            errors.Add(new FieldError(path + key, "unknown_property", $"is not a filter; filter by the primary key ({string.Join(", ", dataset.PrimaryKey)}) from its first field"));
        }

        var converters = Ingestion.Pipeline.FileIngestion.Converters(dataset);
        var row = new RowBatch(dataset.Table, 1);
        var prefix = new List<object?>();
        var gap = false;
        foreach (var key in dataset.PrimaryKey)
        {
            if (values.GetValueOrDefault(key) is not { } text)
            {
                gap = true;
                continue;
            }

            if (gap)
            {
                errors.Add(new FieldError(path + key, "primary_key", $"filters must follow the primary key's order ({string.Join(", ", dataset.PrimaryKey)}) without gaps"));
                continue;
            }

            var column = dataset.Table.IndexOf(key);
            if (converters[column].Convert(Encoding.UTF8.GetBytes(text), row) is { } problem)
            {
                errors.Add(new FieldError(path + key, problem.Rule, problem.Message));
                continue;
            }

            prefix.Add(row.GetValue(0, column));
        }

        if (prefix.Count > 0 && prefix.Count < dataset.PartitionKey.Count)
        {
            errors.Add(new FieldError(path + dataset.PartitionKey[prefix.Count], "primary_key", $"a filter needs every partition key field ({string.Join(", ", dataset.PartitionKey)}) or none"));
        }

        return ([.. prefix], errors);
    }
}
