using System.Text.Json;
using Catalog;
using Catalog.Datasets;
using Catalog.Runs;
using Catalog.Usage;
using Coredms;
using Ingestion.Staging;
using IngestionLog;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Platform.Api.Auth;
using Platform.Api.Docs;
using Platform.Api.Problems;

namespace Platform.Api.Datasets;

public sealed record DatasetView(string Name, string FileType, string KeySpace, string PhysicalKeyspace, string Table,
    IReadOnlyList<string> PrimaryKey, IReadOnlyList<string> PartitionKey, string IngestionMode, string SchemaFingerprint, bool Default, DatasetStatus Status)
{
    public static DatasetView From(Dataset d) => new(d.Name, d.FileType.ToString().ToLowerInvariant(), d.LogicalKeySpace, d.Keyspace, d.TableName,
        d.PrimaryKey, d.PartitionKey, d.Mode.ToString().ToLowerInvariant(), d.Fingerprint.ToString("x16"), d.IsDefault, DatasetStatus.Of(d));
}

/// <summary>Whether the dataset takes data in (<c>active</c>) or not (<c>paused</c>, since when and why).</summary>
public sealed record DatasetStatus(string State, DateTimeOffset? PausedAt, string? Reason)
{
    public const string Active = "active";
    public const string Paused = "paused";

    public static DatasetStatus Of(Dataset d) => d.Pause is { } pause ? new(Paused, pause.At, pause.Reason) : new(Active, null, null);
}

public sealed record DatasetList(IReadOnlyList<DatasetView> Datasets);

/// <summary>A schema version: its number, CRC-64-AVRO fingerprint, when it was registered (unknown for a dataset registered before versions were kept) and the schema.</summary>
public sealed record SchemaVersionView(int Version, string Fingerprint, DateTimeOffset? RegisteredAt, JsonElement Schema);

/// <summary>The dataset's compatibility level and its schema versions, oldest first.</summary>
public sealed record SchemaVersionList(string Compatibility, IReadOnlyList<SchemaVersionView> Versions);

public static class DatasetEndpoints
{
    private static readonly JsonSerializerOptions StatusJson = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static void MapDatasets(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/tenants/{tenant}/datasets").ForTenant().WithTags("Datasets");
        group.MapPut("/{name}", Put).WithSummary("Register or replace a data configuration (seed format; every problem is reported at once).")
            .Body<System.Text.Json.Nodes.JsonObject>("application/json").Problems(409, 413, 415, 422);
        group.MapGet("/{name}", Get).WithSummary("The data configuration as registered, with its read-only 'status' (active or paused) added.");
        group.MapPost("/{name}/pause", Pause).WithSummary("Pause the dataset: runs skip it, its files stay staged, its events get 409; nothing is lost.");
        group.MapPost("/{name}/resume", Resume).WithSummary("Resume the dataset: what waited is taken (a batch run is requested when files wait).");
        group.MapGet("", List).WithSummary("The tenant's datasets and the physical keyspace and table each maps to.");
        group.MapGet("/{name}/schemas", Versions).WithSummary("The dataset's schema versions, oldest first; rows written under any of them read as the current one.");
    }

    public static async Task<Results<Ok<SchemaVersionList>, ProblemHttpResult>> Versions(string name, TenantContext tenant, DatasetCatalog datasets, CancellationToken ct)
    {
        if (await datasets.GetAsync(tenant.Id, name, ct) is not { } dataset)
        {
            return Problem.NotFound($"Tenant '{tenant.Id}' has no dataset '{name}'.");
        }

        var versions = await datasets.VersionsAsync(tenant.Id, name, ct);
        IEnumerable<SchemaVersionView> views = versions.Count > 0
            ? versions.Select(v => new SchemaVersionView(v.Version, v.Fingerprint.ToString("x16"), v.RegisteredAt, JsonDocument.Parse(v.Schema.ToJson()).RootElement))
            : [new SchemaVersionView(1, dataset.Fingerprint.ToString("x16"), null, JsonDocument.Parse(dataset.Schema.ToJson()).RootElement)];
        return TypedResults.Ok(new SchemaVersionList(dataset.Compatibility.Level, views.ToList()));
    }

    public static async Task<Results<Created<DatasetView>, Ok<DatasetView>, ProblemHttpResult>> Put(
        string name, HttpRequest request, TenantContext tenant, DatasetCatalog datasets, StreamIngestManager.Cdc.SourceChecks checks, IOptions<PlatformOptions> platform,
        CancellationToken ct)
    {
        var (json, problem) = await RequestJson.ReadAsync(request, ct);
        if (problem is not null)
        {
            return problem;
        }

        // The status GET adds is not part of the configuration: a document read, edited and sent back is taken as is.
        if (json!.Value.ValueKind == JsonValueKind.Object && json.Value.TryGetProperty("status", out _))
        {
            var withoutStatus = System.Text.Json.Nodes.JsonNode.Parse(json.Value.GetRawText())!.AsObject();
            withoutStatus.Remove("status");
            json = JsonSerializer.SerializeToElement(withoutStatus);
        }

        var (document, shapeProblem) = RequestJson.As<DataConfigurationDocument>(json.Value, "data configuration");
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

        // A source is checked against the tenant's database before anything is registered.
        if (Dataset.From(tenant.Id, name, json.Value) is { Source: not null } captured && await checks.CheckDatasetAsync(captured, ct) is { Count: > 0 } problems)
        {
            return Connections.ConnectionEndpoints.Unusable($"Dataset '{name}' cannot capture changes from {captured.Source.Table}.", problems);
        }

        var put = await datasets.PutAsync(tenant.Id, name, json.Value, ct);
        return put.Outcome switch
        {
            PutOutcome.Conflict => Problem.Conflict(put.Conflict!),
            PutOutcome.Incompatible => Problem.Of(StatusCodes.Status409Conflict, "incompatible-schema", "Incompatible schema", put.Conflict!,
                new Dictionary<string, object?> { ["errors"] = put.Problems!.Select(p => new FieldError(p.Field, p.Rule, p.Message)).ToList() }),
            PutOutcome.Created => TypedResults.Created($"/tenants/{tenant.Id}/datasets/{name}", DatasetView.From(put.Dataset!)),
            _ => TypedResults.Ok(DatasetView.From(put.Dataset!)),
        };
    }

    public static async Task<Results<ContentHttpResult, ProblemHttpResult>> Get(string name, TenantContext tenant, DatasetCatalog datasets, CancellationToken ct)
    {
        if (await datasets.GetAsync(tenant.Id, name, ct) is not { } dataset)
        {
            return Problem.NotFound($"Tenant '{tenant.Id}' has no dataset '{name}'.");
        }

        var document = System.Text.Json.Nodes.JsonNode.Parse(dataset.Document.GetRawText())!.AsObject();
        document["status"] = JsonSerializer.SerializeToNode(DatasetStatus.Of(dataset), StatusJson);
        return TypedResults.Text(document.ToJsonString(), "application/json");
    }

    public static async Task<Results<Ok<DatasetView>, ProblemHttpResult>> Pause(string name, TenantContext tenant, DatasetCatalog datasets, DataClock clock,
        ILogger<DatasetView> logger, CancellationToken ct)
    {
        var before = await datasets.GetAsync(tenant.Id, name, ct);
        var dataset = before is null ? null : await datasets.SetPauseAsync(tenant.Id, name, new DatasetPause(clock.GetUtcNow(), "paused by the tenant"), ct);
        if (dataset is null)
        {
            return Problem.NotFound($"Tenant '{tenant.Id}' has no dataset '{name}'.");
        }

        if (before!.Pause is null)
        {
            logger.IngestionEvent(IngestionEvents.DatasetPaused, "{EventAction}: {TenantId}/{Dataset} paused: runs skip it, its files stay staged, its events are refused",
                tenant.Id, name);
        }

        return TypedResults.Ok(DatasetView.From(dataset));
    }

    public static async Task<Results<Ok<DatasetView>, ProblemHttpResult>> Resume(string name, TenantContext tenant, DatasetCatalog datasets, RunCatalog runs,
        StagingScanner scanner, DataClock clock, ILogger<DatasetView> logger, CancellationToken ct)
    {
        var before = await datasets.GetAsync(tenant.Id, name, ct);
        var dataset = before is null ? null : await datasets.SetPauseAsync(tenant.Id, name, null, ct);
        if (dataset is null)
        {
            return Problem.NotFound($"Tenant '{tenant.Id}' has no dataset '{name}'.");
        }

        if (before!.Pause is not null)
        {
            // Stream managers notice the change themselves; batch files that waited are taken by a run now, not at the next schedule.
            var waiting = dataset.Mode.HasFlag(IngestionMode.Batch)
                && (await scanner.ScanAsync(tenant.Id, IngestionMode.Batch, withClaims: false, ct)).Any(w => w.Dataset.Name == name);
            var run = waiting ? (await runs.RequestOnceAsync(tenant.Id, name, "resume", QuotaPolicy.MaxWaitingRuns, ct)).Run : null;
            logger.IngestionEvent(IngestionEvents.DatasetResumed, "{EventAction}: {TenantId}/{Dataset} resumed after {PausedSeconds} s{RunNote}",
                tenant.Id, name, (long)(clock.GetUtcNow() - before.Pause.At).TotalSeconds, run is null ? "" : $"; run {run.RunId} takes the files that waited");
        }

        return TypedResults.Ok(DatasetView.From(dataset));
    }

    public static async Task<Ok<DatasetList>> List(TenantContext tenant, DatasetCatalog datasets, CancellationToken ct) =>
        TypedResults.Ok(new DatasetList((await datasets.ListAsync(tenant.Id, ct)).Select(DatasetView.From).ToList()));
}
