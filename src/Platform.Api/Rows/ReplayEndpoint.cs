using System.Globalization;
using System.Text.Json;
using Catalog.Agreements;
using Catalog.Datasets;
using Ingestion.Pipeline;
using IngestionLog;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Api.Auth;
using Platform.Api.Docs;
using Platform.Api.Problems;

namespace Platform.Api.Rows;

/// <summary><c>POST .../quarantine/replay</c>: a dataset's quarantined rows read again under its current configuration (<see cref="QuarantineReplay"/>).</summary>
public static class ReplayEndpoint
{
    public const string QuarantineReplayed = "quarantine.replayed";

    public static void MapReplay(this IEndpointRouteBuilder app) =>
        app.MapGroup("/tenants/{tenant}/datasets/{name}").ForTenant().WithTags("Rows").MapPost("/quarantine/replay", Replay)
            .WithSummary("Read quarantined rows again under the dataset's current configuration ({\"file_id\", \"since\", \"until\"}, all optional): rows that pass load and leave the quarantine.")
            .Body<JsonElement>("application/json").Problems(409, 413, 415);

    public static async Task<Results<Ok<ReplayResult>, ProblemHttpResult>> Replay(string name, HttpRequest request, TenantContext tenant, DatasetCatalog datasets,
        AgreementCatalog agreements, QuarantineReplay replay, ILogger<ReplayResult> logger, CancellationToken ct)
    {
        if (await datasets.GetAsync(tenant.Id, name, ct) is not { } dataset)
        {
            return Problem.NotFound($"Tenant '{tenant.Id}' has no dataset '{name}'.");
        }

        if (await agreements.GetAsync(tenant.Id, ct) is not { } agreement)
        {
            return Problem.Conflict($"Tenant '{tenant.Id}' has no service agreement: nothing is ingested, replayed rows included, until one is registered.");
        }

        string? fileId = null;
        DateTimeOffset? since = null, until = null;
        var errors = new List<FieldError>();
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            var (json, problem) = await RequestJson.ReadAsync(request, ct);
            if (problem is not null)
            {
                return problem;
            }

            if (json!.Value.ValueKind != JsonValueKind.Object)
            {
                return Problem.Validation("replay", [new FieldError("body", "type", "must be an object: {\"file_id\", \"since\", \"until\"}, each optional")]);
            }

            foreach (var property in json.Value.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "file_id" when property.Value.ValueKind == JsonValueKind.String:
                        fileId = property.Value.GetString();
                        break;
                    case "since" or "until" when property.Value.ValueKind == JsonValueKind.String
                        && DateTimeOffset.TryParse(property.Value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time):
                        if (property.Name == "since")
                        {
                            since = time;
                        }
                        else
                        {
                            until = time;
                        }

                        break;
                    case "file_id" or "since" or "until":
                        errors.Add(new FieldError(property.Name, "format", property.Name == "file_id" ? "must be a file id (or an events request id)" : "must be an ISO 8601 time such as 2026-03-01T08:00:00Z"));
                        break;
                    default:
                        errors.Add(new FieldError(property.Name, "unknown_property", "is not a replay filter: file_id, since or until"));
                        break;
                }
            }
        }

        if (errors.Count > 0)
        {
            return Problem.Validation("replay", errors);
        }

        var result = await replay.ReplayAsync(dataset, fileId, since, until, agreement.Retention, ct);
        logger.IngestionEvent(QuarantineReplayed, "{EventAction}: {TenantId}/{Dataset} replayed {Replayed} quarantined rows: {Loaded} loaded, {StillQuarantined} still quarantined, {NotReplayable} not replayable",
            tenant.Id, name, result.Replayed, result.Loaded, result.StillQuarantined, result.NotReplayable);
        return TypedResults.Ok(result);
    }
}
