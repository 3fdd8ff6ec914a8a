using Catalog;
using Catalog.Datasets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Platform.Api.Auth;
using Platform.Api.Docs;
using Platform.Api.Problems;

namespace Platform.Api.Datasets;

public sealed record DatasetView(string Name, string FileType, string KeySpace, string PhysicalKeyspace, string Table,
    IReadOnlyList<string> PrimaryKey, IReadOnlyList<string> PartitionKey, string IngestionMode, string SchemaFingerprint, bool Default)
{
    public static DatasetView From(Dataset d) => new(d.Name, d.FileType.ToString().ToLowerInvariant(), d.LogicalKeySpace, d.Keyspace, d.TableName,
        d.PrimaryKey, d.PartitionKey, d.Mode.ToString().ToLowerInvariant(), d.Fingerprint.ToString("x16"), d.IsDefault);
}

public sealed record DatasetList(IReadOnlyList<DatasetView> Datasets);

public static class DatasetEndpoints
{
    public static void MapDatasets(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/tenants/{tenant}/datasets").ForTenant().WithTags("Datasets");
        group.MapPut("/{name}", Put).WithSummary("Register or replace a data configuration (seed format; every problem is reported at once).")
            .Body<System.Text.Json.Nodes.JsonObject>("application/json").Problems(409, 413, 415);
        group.MapGet("/{name}", Get).WithSummary("The data configuration as registered.");
        group.MapGet("", List).WithSummary("The tenant's datasets and the physical keyspace and table each maps to.");
    }

    public static async Task<Results<Created<DatasetView>, Ok<DatasetView>, ProblemHttpResult>> Put(
        string name, HttpRequest request, TenantContext tenant, DatasetCatalog datasets, IOptions<PlatformOptions> platform, CancellationToken ct)
    {
        var (json, problem) = await RequestJson.ReadAsync(request, ct);
        if (problem is not null)
        {
            return problem;
        }

        var (document, shapeProblem) = RequestJson.As<DataConfigurationDocument>(json!.Value, "data configuration");
        if (shapeProblem is not null)
        {
            return shapeProblem;
        }

        var result = new DataConfigurationValidator(platform).Validate(document!);
        var errors = result.Errors.Select(f => new FieldError(f.PropertyName, f.ErrorCode, f.ErrorMessage)).ToList();
        if (!DataConfigurationValidator.DatasetName().IsMatch(name))
        {
            errors.Insert(0, new FieldError("name", "identifier", $"'{name}' in the URL is not a dataset name: {DataConfigurationValidator.DatasetNameRule}"));
        }
        else if (Catalog.Validation.JsonValues.GetString(document!.Name) is { } bodyName && bodyName != name)
        {
            errors.Add(new FieldError("name", "matches", $"'{bodyName}' does not match the name in the URL ('{name}')"));
        }

        if (errors.Count > 0)
        {
            return Problem.Validation("data configuration", errors);
        }

        var put = await datasets.PutAsync(tenant.Id, name, json.Value, ct);
        return put.Outcome switch
        {
            PutOutcome.Conflict => Problem.Conflict(put.Conflict!),
            PutOutcome.Created => TypedResults.Created($"/tenants/{tenant.Id}/datasets/{name}", DatasetView.From(put.Dataset!)),
            _ => TypedResults.Ok(DatasetView.From(put.Dataset!)),
        };
    }

    public static async Task<Results<ContentHttpResult, ProblemHttpResult>> Get(string name, TenantContext tenant, DatasetCatalog datasets, CancellationToken ct) =>
        await datasets.GetAsync(tenant.Id, name, ct) is { } dataset
            ? TypedResults.Text(dataset.Document.GetRawText(), "application/json")
            : Problem.NotFound($"Tenant '{tenant.Id}' has no dataset '{name}'.");

    public static async Task<Ok<DatasetList>> List(TenantContext tenant, DatasetCatalog datasets, CancellationToken ct) =>
        TypedResults.Ok(new DatasetList((await datasets.ListAsync(tenant.Id, ct)).Select(DatasetView.From).ToList()));
}
