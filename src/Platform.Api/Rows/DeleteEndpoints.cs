using System.Text.Json;
using Catalog.Datasets;
using Coredms;
using IngestionLog;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Api.Auth;
using Platform.Api.Docs;
using Platform.Api.Problems;

namespace Platform.Api.Rows;

/// <summary>What a delete did: the keys or key prefix it applied to (a key with no row is no error), or that the table was emptied.</summary>
public sealed record RowsDeleted(string Dataset, string Table, long Keys, JsonElement? Where, IReadOnlyList<string> DatasetsOfTheTable);

/// <summary>
/// Deleting what was loaded, as Tinybird's Data Sources API and Druid allow: rows by primary key (a list), rows of a
/// key prefix (a partition, or a partition and leading clustering fields), or every row (truncate). Each is an
/// ingestion log event with what was asked. Rows live in the dataset's table, which datasets of the tenant with the
/// same key space, record and schema share: the answer names them all.
/// </summary>
public static class DeleteEndpoints
{
    public const int MaxKeys = 10_000;

    public const string RowsDeleted = "rows.deleted";
    public const string DatasetTruncated = "dataset.truncated";

    public static void MapDeletes(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/tenants/{tenant}/datasets/{name}").ForTenant().WithTags("Rows");
        group.MapPost("/rows/delete", Delete)
            .WithSummary($"Delete rows: {{\"keys\": [{{full primary key}}, ...]}} (at most {MaxKeys}) or {{\"where\": {{leading key fields, the whole partition key at least}}}}.")
            .Body<JsonElement>("application/json").Problems(413, 415);
        group.MapPost("/truncate", Truncate).WithSummary("Delete every row of the dataset's table (its quarantine stays).");
    }

    public static async Task<Results<Ok<RowsDeleted>, ProblemHttpResult>> Delete(string name, HttpRequest request, TenantContext tenant, DatasetCatalog datasets,
        ICoredms coredms, ILogger<RowsDeleted> logger, CancellationToken ct)
    {
        if (await datasets.GetAsync(tenant.Id, name, ct) is not { } dataset)
        {
            return Problem.NotFound($"Tenant '{tenant.Id}' has no dataset '{name}'.");
        }

        var (json, problem) = await RequestJson.ReadAsync(request, ct);
        if (problem is not null)
        {
            return problem;
        }

        var body = json!.Value;
        var errors = new List<FieldError>();
        JsonElement keys = default, where = default;
        var hasKeys = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("keys", out keys);
        var hasWhere = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("where", out where);
        if (body.ValueKind == JsonValueKind.Object && body.EnumerateObject().Select(p => p.Name).FirstOrDefault(n => n is not ("keys" or "where")) is { } unknown)
        {
            return Problem.Validation("delete", [new FieldError(unknown, "unknown_property", "is not part of a delete: give 'keys' or 'where'")]);
        }

        if (hasKeys == hasWhere)
        {
            return Problem.Validation("delete", [new FieldError("keys", "one_of", "give either 'keys' (a list of primary keys) or 'where' (leading primary key fields), not both or neither")]);
        }

        var prefixes = new List<object?[]>();
        if (hasKeys)
        {
            if (keys.ValueKind != JsonValueKind.Array || keys.GetArrayLength() is 0 or > MaxKeys)
            {
                return Problem.Validation("delete", [new FieldError("keys", "size", $"must be a list of 1 to {MaxKeys} primary keys")]);
            }

            var i = 0;
            foreach (var key in keys.EnumerateArray())
            {
                var path = $"keys[{i++}].";
                var (prefix, keyErrors) = Convert(dataset, key, path);
                if (keyErrors.Count == 0 && prefix.Length != dataset.PrimaryKey.Count)
                {
                    keyErrors.Add(new FieldError(path + dataset.PrimaryKey[prefix.Length], "required", $"a key names every primary key field ({string.Join(", ", dataset.PrimaryKey)})"));
                }

                errors.AddRange(keyErrors);
                prefixes.Add(prefix);
            }
        }
        else
        {
            var (prefix, whereErrors) = Convert(dataset, where, "where.");
            if (whereErrors.Count == 0 && prefix.Length == 0)
            {
                whereErrors.Add(new FieldError("where", "required", $"names the partition key ({string.Join(", ", dataset.PartitionKey)}) at least; to delete every row, truncate"));
            }

            errors.AddRange(whereErrors);
            prefixes.Add(prefix);
        }

        if (errors.Count > 0)
        {
            return Problem.Validation("delete", errors.Take(100));
        }

        foreach (var prefix in prefixes)
        {
            await coredms.DeleteAsync(dataset.Table, prefix, ct);
        }

        logger.IngestionEvent(RowsDeleted, "{EventAction}: {TenantId}/{Dataset} rows deleted by {How}: {Count} {What}",
            tenant.Id, name, hasKeys ? "primary key" : "key prefix", prefixes.Count, hasKeys ? "keys" : where.GetRawText());
        return TypedResults.Ok(new RowsDeleted(name, dataset.Table.Name, hasKeys ? prefixes.Count : 0, hasWhere ? where.Clone() : null, await SharingAsync(dataset, datasets, ct)));
    }

    public static async Task<Results<Ok<RowsDeleted>, ProblemHttpResult>> Truncate(string name, TenantContext tenant, DatasetCatalog datasets, ICoredms coredms,
        ILogger<RowsDeleted> logger, CancellationToken ct)
    {
        if (await datasets.GetAsync(tenant.Id, name, ct) is not { } dataset)
        {
            return Problem.NotFound($"Tenant '{tenant.Id}' has no dataset '{name}'.");
        }

        await coredms.DeleteAsync(dataset.Table, [], ct);
        var sharing = await SharingAsync(dataset, datasets, ct);
        logger.IngestionEvent(DatasetTruncated, "{EventAction}: {TenantId}/{Dataset} table {Table} emptied (read by {Datasets})", tenant.Id, name, dataset.Table.Name, string.Join(", ", sharing));
        return TypedResults.Ok(new RowsDeleted(name, dataset.Table.Name, 0, null, sharing));
    }

    /// <summary>A key object's fields as text, typed by the dataset's converters.</summary>
    private static (object?[] Prefix, List<FieldError> Errors) Convert(Dataset dataset, JsonElement key, string path)
    {
        if (key.ValueKind != JsonValueKind.Object)
        {
            return ([], [new FieldError(path.TrimEnd('.'), "type", "must be an object of primary key fields and their values")]);
        }

        var values = new Dictionary<string, string?>();
        var errors = new List<FieldError>();
        foreach (var field in key.EnumerateObject())
        {
            values[field.Name] = field.Value.ValueKind switch
            {
                JsonValueKind.String => field.Value.GetString(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => field.Value.GetRawText(),
                _ => null,
            };
            if (values[field.Name] is null)
            {
                errors.Add(new FieldError(path + field.Name, "type", "must be a string, a number or a boolean: key fields are never null"));
            }
        }

        if (errors.Count > 0)
        {
            return ([], errors);
        }

        return RowEndpoints.KeyPrefix(dataset, values, path);
    }

    private static async Task<IReadOnlyList<string>> SharingAsync(Dataset dataset, DatasetCatalog datasets, CancellationToken ct) =>
        (await datasets.ListAsync(dataset.Tenant, ct)).Where(d => d.Keyspace == dataset.Keyspace && d.TableName == dataset.TableName).Select(d => d.Name).Order().ToList();
}
