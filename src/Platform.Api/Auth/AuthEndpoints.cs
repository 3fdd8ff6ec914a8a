using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Catalog.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;
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
            .WithSummary("Exchange a client id and secret (JSON or form) for a bearer token.");

    /// <summary>Client-credentials exchange: JSON body or an OAuth2-style form post.</summary>
    public static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> IssueToken(
        HttpRequest request, TenantCatalog tenants, PlatformSecrets secrets, TokenIssuer issuer, CancellationToken ct)
    {
        TokenRequest? body;
        if (request.HasFormContentType && request.ContentType!.Contains("urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            var form = await request.ReadFormAsync(ct);
            body = new TokenRequest(form["client_id"], form["client_secret"]);
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

        string role;
        if (body.ClientId == TokenIssuer.AdminRole)
        {
            role = TokenIssuer.AdminRole;
            if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(body.ClientSecret!), Encoding.UTF8.GetBytes(secrets.AdminSecret)))
            {
                return Unauthorized();
            }
        }
        else
        {
            role = TokenIssuer.TenantRole;
            if (!await tenants.VerifySecretAsync(body.ClientId!, body.ClientSecret!, ct))
            {
                return Unauthorized();
            }
        }

        return TypedResults.Ok(new TokenResponse(issuer.Issue(body.ClientId!, role), "Bearer", (int)issuer.Lifetime.TotalSeconds));
    }

    private static ProblemHttpResult Unauthorized() =>
        Problem.Of(StatusCodes.Status401Unauthorized, "unauthorized", "Unauthorized", "Unknown client id or wrong secret.");
}
