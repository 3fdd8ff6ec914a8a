using System.Security.Cryptography;
using System.Text.Json;
using Catalog.Requests;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Platform.Api.Auth;
using Platform.Api.Problems;
using StreamIngestManager;

namespace Platform.Api.Events;

/// <summary>
/// <c>Idempotency-Key</c> on the events endpoint: a retried request (same key, same dataset and body) gets the first
/// 202 again, marked <c>Idempotent-Replayed: true</c>, and stores nothing; the same key with another request is 422;
/// while the first is still running, 409 with Retry-After. Keys are kept a day (<see cref="IdempotencyKeys"/>). Only a
/// 202 is kept: a request refused or failed took nothing, so its key is freed for the retry.
/// </summary>
public sealed class IdempotencyFilter : IEndpointFilter
{
    public const string Header = "Idempotency-Key";
    public const int MaxKeyLength = 255;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var keys = http.RequestServices.GetRequiredService<IdempotencyKeys>();
        var tenant = http.RequestServices.GetRequiredService<TenantContext>();
        var options = http.RequestServices.GetRequiredService<IOptions<StreamOptions>>();
        if (http.Request.Headers[Header] is not [{ } key])
        {
            return http.Request.Headers.ContainsKey(Header) ? KeyProblem("must be given once") : await next(context);
        }

        if (key.Length is 0 or > MaxKeyLength || key.Any(c => c is < ' ' or > '~'))
        {
            return KeyProblem($"must be 1 to {MaxKeyLength} printable ASCII characters");
        }

        // The request's identity: the dataset and the body, read once here (then read again by the endpoint). A body
        // over the limit is the endpoint's to refuse, and claims no key.
        var limit = options.Value.MaxEventsRequestMb * 1024L * 1024;
        if (http.Request.ContentLength > limit)
        {
            return await next(context);
        }

        http.Request.EnableBuffering(64 * 1024, limit + 1);
        string hash;
        using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(http.Request.Path.Value ?? ""));
            var buffer = new byte[81920];
            int read;
            try
            {
                while ((read = await http.Request.Body.ReadAsync(buffer, http.RequestAborted)) > 0)
                {
                    sha.AppendData(buffer, 0, read);
                }
            }
            catch (IOException)
            {
                // A body without a length that runs past the limit: refused as the endpoint refuses one, no key claimed.
                return Problem.TooLarge($"An events request may carry at most {options.Value.MaxEventsRequestMb} MiB; split it into several requests.");
            }

            hash = Convert.ToHexStringLower(sha.GetHashAndReset());
        }

        http.Request.Body.Position = 0;
        var claim = await keys.ClaimAsync(tenant.Id, key, hash, http.RequestAborted);
        switch (claim.Start)
        {
            case IdempotentStart.Replay:
                http.Response.Headers["Idempotent-Replayed"] = "true";
                return TypedResults.Accepted((string?)null, JsonSerializer.Deserialize<EventsAccepted>(claim.Answer!, JsonSerializerOptions.Web));
            case IdempotentStart.Mismatch:
                return Problem.Of(StatusCodes.Status422UnprocessableEntity, "idempotency-key-reused", "Idempotency key reused",
                    $"Idempotency-Key '{key}' was used with another request in the last {IdempotencyKeys.Retention.TotalHours:0} hours; use a new key for a new request.");
            case IdempotentStart.InProgress:
                http.Response.Headers.RetryAfter = "1";
                return Problem.Of(StatusCodes.Status409Conflict, "idempotency-key-in-use", "Request in progress",
                    $"A request with Idempotency-Key '{key}' is still running; send it again after Retry-After to get its answer.");
        }

        var kept = false;
        try
        {
            var result = await next(context);
            if ((result is INestedHttpResult nested ? nested.Result : result) is Accepted<EventsAccepted> { Value: { } accepted })
            {
                await keys.CompleteAsync(tenant.Id, key, JsonSerializer.Serialize(accepted, JsonSerializerOptions.Web), CancellationToken.None);
                kept = true;
            }

            return result;
        }
        finally
        {
            if (!kept)
            {
                try
                {
                    await keys.ReleaseAsync(tenant.Id, key, CancellationToken.None);
                }
                catch (Coredms.CoredmsException e)
                {
                    http.RequestServices.GetRequiredService<ILogger<IdempotencyFilter>>().LogWarning(e, "Idempotency key of a refused events request of {TenantId} could not be freed; it frees itself after {Minutes} minutes",
                        tenant.Id, IdempotencyKeys.Abandoned.TotalMinutes);
                }
            }
        }
    }

    private static ProblemHttpResult KeyProblem(string rule) =>
        Problem.Validation("request", [new FieldError(Header, "format", rule)]);
}
