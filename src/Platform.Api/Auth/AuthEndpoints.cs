using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Catalog.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Api.Docs;
using Platform.Api.Problems;

namespace Platform.Api.Auth;

public sealed record TokenRequest(
    [property: JsonPropertyName("client_id")] string? ClientId,
    [property: JsonPropertyName("client_secret")] string? ClientSecret);

public sealed record TokenResponse(string AccessToken, string TokenType, int ExpiresIn);

public static class AuthEndpoints
{
    public static void MapAuth(this IEndpointRouteBuilder app) =>
        app.MapPost("/auth/token", IssueToken).AllowAnonymous().WithTags("Auth")
            .WithSummary("Exchange a client id and secret (JSON or form) for a bearer token.")
            .Body<TokenRequest>("application/json", "application/x-www-form-urlencoded").Problems(401, 429);

    /// <summary>The client id and secret of an <c>Authorization: Basic</c> header (each form-urlencoded, as RFC 6749 says), if there is one.</summary>
    private static TokenRequest? BasicCredentials(HttpRequest request)
    {
        if (!System.Net.Http.Headers.AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
        {
            return null;
        }

        try
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter)).Split(':', 2);
            return pair.Length == 2 ? new TokenRequest(Uri.UnescapeDataString(pair[0].Replace('+', ' ')), Uri.UnescapeDataString(pair[1].Replace('+', ' '))) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Client-credentials exchange: JSON body or an OAuth2-style form post (fields or HTTP Basic).</summary>
    public static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> IssueToken(
        HttpRequest request, TenantCatalog tenants, PlatformSecrets secrets, TokenIssuer issuer, LoginThrottle throttle, CancellationToken ct)
    {
        TokenRequest? body;
        if (request.HasFormContentType && request.ContentType!.Contains("urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            // OAuth2 clients (RFC 6749, 2.3.1) may send their credentials as HTTP Basic instead of form fields.
            var form = await request.ReadFormAsync(ct);
            body = BasicCredentials(request) ?? new TokenRequest(form["client_id"], form["client_secret"]);
        }
        else
        {
            var (json, problem) = await RequestJson.ReadAsync(request, ct);
            if (problem is not null)
            {
                return problem;
            }

            if (json!.Value.ValueKind != JsonValueKind.Object)
            {
                return Problem.BadRequest("Send {\"client_id\": \"...\", \"client_secret\": \"...\"}.");
            }

            body = new TokenRequest(
                json.Value.TryGetProperty("client_id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null,
                json.Value.TryGetProperty("client_secret", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null);
        }

        var errors = new List<FieldError>();
        if (string.IsNullOrEmpty(body.ClientId))
        {
            errors.Add(new FieldError("client_id", "required", "is required: 'admin' or a tenant id"));
        }

        if (string.IsNullOrEmpty(body.ClientSecret))
        {
            errors.Add(new FieldError("client_secret", "required", "is required"));
        }

        if (errors.Count > 0)
        {
            return Problem.Validation("token request", errors);
        }

        var address = request.HttpContext.Connection.RemoteIpAddress?.ToString();
        if (throttle.RetryAfter(body.ClientId!, address) is { } wait)
        {
            request.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Problem.Of(StatusCodes.Status429TooManyRequests, "too-many-failed-logins", "Too many failed logins",
                $"Too many wrong secrets for '{body.ClientId}' or from this address in the last minute; try again in {Math.Ceiling(wait.TotalSeconds)} s.");
        }

        string token;
        if (body.ClientId == TokenIssuer.AdminRole)
        {
            if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(body.ClientSecret!), Encoding.UTF8.GetBytes(secrets.AdminSecret)))
            {
                throttle.Failed(body.ClientId!, address);
                return Unauthorized();
            }

            token = issuer.Issue(body.ClientId!, TokenIssuer.AdminRole);
        }
        else
        {
            if (await tenants.VerifySecretAsync(body.ClientId!, body.ClientSecret!, ct) is not { } tenant)
            {
                throttle.Failed(body.ClientId!, address);
                return Unauthorized();
            }

            token = issuer.Issue(tenant.Id, TokenIssuer.TenantRole, tenant.SecretGeneration);
        }

        return TypedResults.Ok(new TokenResponse(token, "Bearer", (int)issuer.Lifetime.TotalSeconds));
    }

    private static ProblemHttpResult Unauthorized() =>
        Problem.Of(StatusCodes.Status401Unauthorized, "unauthorized", "Unauthorized", "Unknown client id or wrong secret.");
}
