using System.Buffers;
using System.Globalization;
using Catalog.Agreements;
using Catalog.Datasets;
using Catalog.Usage;
using IngestionLog;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Platform.Api.Auth;
using Platform.Api.Docs;
using Platform.Api.Problems;
using StreamIngestManager;
using StreamIngestManager.Events;

namespace Platform.Api.Events;

public sealed record EventsAccepted(string RequestId, long Accepted, long Rejected, long Skipped, IReadOnlyList<RejectedEvent> Errors);

public static class EventEndpoints
{
    private static readonly string[] MediaTypes = ["application/x-ndjson", "application/jsonl", "application/json", "text/plain"];

    public static void MapEvents(this IEndpointRouteBuilder app) =>
        app.MapGroup("/tenants/{tenant}/datasets/{name}").ForTenant().WithTags("Ingestion").MapPost("/events", Post)
            .WithSummary("Near-real-time events: JSON lines, one record per line (202 with counts; bad events are quarantined with their line and reason).")
            .Body<string>(MediaTypes).Problems(409, 413, 415, 422, 429, 503, 507).RateLimited()
            .AddEndpointFilter<IdempotencyFilter>().AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.Parameters ??= [];
                operation.Parameters.Add(new Microsoft.OpenApi.OpenApiParameter
                {
                    Name = IdempotencyFilter.Header,
                    In = Microsoft.OpenApi.ParameterLocation.Header,
                    Description = "Makes a retry safe: the same key with the same body within a day answers the first 202 again (Idempotent-Replayed: true) and stores nothing; with another body, 422.",
                    Schema = new Microsoft.OpenApi.OpenApiSchema { Type = Microsoft.OpenApi.JsonSchemaType.String, MaxLength = IdempotencyFilter.MaxKeyLength },
                });
                return Task.CompletedTask;
            })
            .LogsRefusals(IngestionEvents.EventsRefused);

    public static async Task<Results<Accepted<EventsAccepted>, ProblemHttpResult>> Post(string name, HttpContext http, TenantContext tenant,
        DatasetCatalog datasets, QuotaPolicy quotas, EventIngestion ingestion, EventsAdmission admission, StreamIngestManager.Transport.IStreamTransport transport,
        IOptions<StreamOptions> options, ILogger<EventIngestion> logger, CancellationToken ct)
    {
        var dataset = await datasets.GetAsync(tenant.Id, name, ct);
        if (dataset is null)
        {
            return Problem.NotFound($"Tenant '{tenant.Id}' has no dataset '{name}'.");
        }

        if (!dataset.Mode.HasFlag(IngestionMode.Stream))
        {
            return Problem.Conflict($"Dataset '{name}' takes files in batches only (ingestion_mode 'batch'): register it with ingestion_mode 'stream' or 'both' to send events.");
        }

        if (dataset.Pause is not null)
        {
            return Problem.Paused(dataset, "its events are refused until it is resumed");
        }

        var mediaType = http.Request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (mediaType is not null && !MediaTypes.Contains(mediaType))
        {
            return Problem.UnsupportedMediaType($"Send events as JSON lines (Content-Type {string.Join(", ", MediaTypes)}), one JSON object per line; '{mediaType}' is not one.");
        }

        var limit = options.Value.MaxEventsRequestMb * 1024L * 1024;
        if (http.Request.ContentLength > limit)
        {
            return TooLarge(http, options.Value);
        }

        if (transport.IsBehind(tenant.Id, name))
        {
            http.Response.Headers.RetryAfter = "1";
            logger.LogWarning("Events request of {TenantId} for {Dataset} refused: the stream holds more of the dataset's records than its consumer has written", tenant.Id, name);
            return Problem.Of(StatusCodes.Status503ServiceUnavailable, "stream-behind", "Stream behind",
                $"Dataset '{name}' has more records waiting for its consumer than the stream should hold. Send the request again after Retry-After; nothing of it was taken.");
        }

        using var room = await admission.EnterAsync(tenant.Id, http.Request.ContentLength, ct);
        if (room is null)
        {
            http.Response.Headers.RetryAfter = admission.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            logger.LogWarning("Events request of {TenantId} for {Dataset} refused: the events being written fill the queue", tenant.Id, name);
            return Problem.Of(StatusCodes.Status503ServiceUnavailable, "events-backlog", "Too many events waiting",
                "Events arrive faster than they are written and the queue of requests is full. Send the request again after Retry-After; nothing of it was taken.");
        }

        var (body, length) = await ReadBodyAsync(http.Request, limit, ct);
        try
        {
            if (body is null)
            {
                return TooLarge(http, options.Value);
            }

            var events = CountLines(body.AsSpan(0, length));
            if (events == 0)
            {
                return Problem.Validation("events", [new FieldError("body", "required", "has no events: send one JSON object per line")]);
            }

            var (reservation, refusal, rate) = await quotas.ReserveEventsAsync(tenant.Id, events, ct);
            if (rate is not null)
            {
                // Where the tenant stands against events_per_second (the IETF httpapi RateLimit fields), on every answer from here.
                http.Response.Headers["RateLimit-Limit"] = rate.Limit.ToString(CultureInfo.InvariantCulture);
                http.Response.Headers["RateLimit-Remaining"] = rate.Remaining.ToString(CultureInfo.InvariantCulture);
                http.Response.Headers["RateLimit-Reset"] = Math.Ceiling(rate.Reset.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            }

            if (reservation is null)
            {
                return QuotaProblems.Refused(http, logger, tenant.Id, refusal!);
            }

            EventsResult result;
            try
            {
                result = await ingestion.IngestAsync(dataset, reservation.Agreement.Retention, body.AsMemory(0, length), events, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                await GiveBackAsync(quotas, reservation, logger);
                if (e is Coredms.StoreFullException)
                {
                    throw;
                }

                logger.LogError(e, "Events for {TenantId}/{Dataset} could not be streamed", tenant.Id, name);
                http.Response.Headers.RetryAfter = "5";
                return Problem.Of(StatusCodes.Status503ServiceUnavailable, "stream-unavailable", "Stream unavailable",
                    "The stream transport did not take the events. Send the request again: events are upserts by primary key, so those already taken are not doubled.");
            }

            // Stored: the answer is 202 whatever happens to the count now (it waits its turn rather than give up; only a
            // store that cannot be written at all leaves it short, which the log says).
            try
            {
                await quotas.SettleEventsAsync(reservation, result.Result.RowsLoaded, result.Result.RowsQuarantined, result.Result.RowsRead);
            }
            catch (Coredms.CoredmsException e)
            {
                logger.LogError(e, "Events request {RequestId} of {TenantId} is stored but could not be counted in the usage", result.RequestId, tenant.Id);
            }
            var r = result.Result;
            return TypedResults.Accepted((string?)null, new EventsAccepted(result.RequestId, r.RowsLoaded, r.RowsQuarantined, r.RowsSkipped, result.Examples));
        }
        finally
        {
            if (body is not null)
            {
                ArrayPool<byte>.Shared.Return(body);
            }
        }
    }

    private static ProblemHttpResult TooLarge(HttpContext http, StreamOptions options) =>
        Problem.TooLarge($"An events request may carry at most {options.MaxEventsRequestMb} MiB; split it into several requests.",
            new Dictionary<string, object?> { ["quota"] = "max_events_request_mb", ["limit"] = options.MaxEventsRequestMb, ["usage"] = http.Request.ContentLength });

    /// <summary>Gives a failed request's reservation back, as far as the store lets it.</summary>
    private static async Task GiveBackAsync(QuotaPolicy quotas, EventsReservation reservation, ILogger logger)
    {
        try
        {
            await quotas.SettleEventsAsync(reservation, 0, 0, 0);
        }
        catch (Coredms.CoredmsException e)
        {
            logger.LogError(e, "The rows reserved for a failed events request of {TenantId} could not be given back", reservation.Tenant);
        }
    }

    /// <summary>
    /// The body in a pooled buffer, or null when it turns out longer than <paramref name="limit"/> (a declared length
    /// over it was refused before).
    /// </summary>
    private static async Task<(byte[]? Body, int Length)> ReadBodyAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit + 1, request.ContentLength ?? 64 * 1024) + 1);
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (buffer.Length > limit)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return (null, 0);
                }

                var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit + 1, buffer.Length * 2L));
                buffer.AsSpan(0, length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }

            var read = await request.Body.ReadAsync(buffer.AsMemory(length), ct);
            if (read == 0)
            {
                break;
            }

            length += read;
        }

        if (length > limit)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, 0);
        }

        return (buffer, length);
    }

    /// <summary>Lines with something besides white space.</summary>
    private static int CountLines(ReadOnlySpan<byte> body)
    {
        var count = 0;
        foreach (var range in body.Split((byte)'\n'))
        {
            if (!body[range].Trim(" \t\r"u8).IsEmpty)
            {
                count++;
            }
        }

        return count;
    }
}
