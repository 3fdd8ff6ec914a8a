using System.IdentityModel.Tokens.Jwt;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;
using Platform.Api.Problems;

namespace Platform.Api.Auth;

public static class AuthServiceCollectionExtensions
{
    public const string AdminPolicy = "admin";

    public static IServiceCollection AddPlatformAuth(this IServiceCollection services, IConfiguration configuration)
    {
        JwtSecurityTokenHandler.DefaultMapInboundClaims = false;
        services.AddOptions<AuthOptions>()
            .Bind(configuration.GetSection(AuthOptions.Section))
            .Validate(o => o.TokenLifetimeMinutes is >= 1 and <= 24 * 60, "Auth:TokenLifetimeMinutes must be from 1 to 1440")
            .Validate(o => o.Issuer.Length > 0 && o.Audience.Length > 0, "Auth:Issuer and Auth:Audience must be set")
            .ValidateOnStart();
        services.AddSingleton<PlatformSecrets>();
        services.AddSingleton<TokenIssuer>();
        services.AddScoped<TenantContext>();
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<TokenIssuer>((o, issuer) =>
        {
            o.TokenValidationParameters = issuer.ValidationParameters();
            o.Events = new JwtBearerEvents
            {
                OnChallenge = async context =>
                {
                    context.HandleResponse();
                    var detail = context.AuthenticateFailure switch
                    {
                        null => "A bearer token is required: POST /auth/token, then send 'Authorization: Bearer <token>'.",
                        SecurityTokenExpiredException => "The token has expired; get a new one from POST /auth/token.",
                        SecurityTokenInvalidAudienceException => "The token was issued for another audience.",
                        SecurityTokenInvalidIssuerException => "The token was issued by another issuer.",
                        SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "The token's signature is not valid.",
                        { Message: "The token is not signed with HS256." } => "The token is not signed with HS256.",
                        _ => "The token is not valid.",
                    };
                    await Problem.Of(StatusCodes.Status401Unauthorized, "unauthorized", "Unauthorized", detail).ExecuteAsync(context.HttpContext);
                },
                OnTokenValidated = context =>
                {
                    if (!TokenIssuer.IsHs256(context.SecurityToken))
                    {
                        context.Fail("The token is not signed with HS256.");
                    }

                    return Task.CompletedTask;
                },
                OnForbidden = context => Problem.Forbidden("This token's role may not use this route.").ExecuteAsync(context.HttpContext),
            };
        });
        services.AddAuthorizationBuilder()
            .AddPolicy(AdminPolicy, p => p.RequireClaim(TokenIssuer.RoleClaim, TokenIssuer.AdminRole));
        return services;
    }
}
