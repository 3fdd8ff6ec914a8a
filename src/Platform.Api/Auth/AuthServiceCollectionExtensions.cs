using Microsoft.AspNetCore.Authentication.JwtBearer;
using Platform.Api.Problems;

namespace Platform.Api.Auth;

public static class AuthServiceCollectionExtensions
{
    public const string AdminPolicy = "admin";

    public static IServiceCollection AddPlatformAuth(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AuthOptions>()
            .Bind(configuration.GetSection(AuthOptions.Section))
            .Validate(o => o.TokenLifetimeMinutes is >= 1 and <= 24 * 60, "Auth:TokenLifetimeMinutes must be from 1 to 1440")
            .Validate(o => o.Issuer.Length > 0 && o.Audience.Length > 0, "Auth:Issuer and Auth:Audience must be set")
            .ValidateOnStart();
        services.AddSingleton<PlatformSecrets>();
        services.AddSingleton<TokenIssuer>();
        services.AddSingleton<TokenRevocation>();
        services.AddSingleton<LoginThrottle>();
        services.AddScoped<TenantContext>();
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<TokenIssuer, TokenRevocation>((o, issuer, revocation) =>
        {
            o.MapInboundClaims = false;
            o.TokenValidationParameters = issuer.ValidationParameters();
            o.Events = new JwtBearerEvents
            {
                OnTokenValidated = revocation.OnTokenValidatedAsync,
                OnChallenge = ChallengeAsync,
                OnForbidden = ForbiddenAsync,
            };
        });
        services.AddAuthorizationBuilder()
            .AddPolicy(AdminPolicy, p => p.RequireClaim(TokenIssuer.RoleClaim, TokenIssuer.AdminRole));
        return services;
    }

    /// <summary>
    /// A 401 as RFC 6750 has it (<c>WWW-Authenticate: Bearer</c>, with <c>error="invalid_token"</c> and the
    /// handler's description when a token was sent and refused) and as the rest of the API answers: problem+json.
    /// </summary>
    private static async Task ChallengeAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        if (context.AuthenticateFailure is TokenRevokedException revoked)
        {
            context.ErrorDescription = revoked.Message;
        }

        var challenge = context.Options.Challenge;
        if (!string.IsNullOrEmpty(context.Error))
        {
            challenge += $" error=\"{Quoted(context.Error)}\"";
            if (!string.IsNullOrEmpty(context.ErrorDescription))
            {
                challenge += $", error_description=\"{Quoted(context.ErrorDescription)}\"";
            }
        }

        context.Response.Headers.WWWAuthenticate = challenge;
        var detail = context.AuthenticateFailure is null
            ? "A bearer token is required: POST /auth/token, then send 'Authorization: Bearer <token>'."
            : $"The token was refused: {(string.IsNullOrEmpty(context.ErrorDescription) ? "it is not valid" : context.ErrorDescription)}. POST /auth/token issues a new one.";
        await Problem.Of(StatusCodes.Status401Unauthorized, "unauthorized", "Unauthorized", detail).ExecuteAsync(context.HttpContext);
    }

    private static Task ForbiddenAsync(ForbiddenContext context) =>
        Problem.Forbidden("This token's role may not use this route.").ExecuteAsync(context.HttpContext);

    /// <summary>A quoted-string of RFC 9110: no double quotes or backslashes inside.</summary>
    private static string Quoted(string value) => value.Replace('"', '\'').Replace('\\', '/');
}
