using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Api.Auth;

/// <summary>Issues HS256 JWTs with the platform's issuer and audience; the role is admin or tenant.</summary>
/// <remarks>Tokens use real time, as JwtBearer validates them against it, whatever clock the data uses.</remarks>
public sealed class TokenIssuer(PlatformSecrets secrets, IOptions<AuthOptions> options)
{
    public const string RoleClaim = "role";
    public const string TenantClaim = "tenant";

    /// <summary>The tenant's secret generation when the token was issued: a later secret retires the token.</summary>
    public const string GenerationClaim = "gen";
    public const string AdminRole = "admin";
    public const string TenantRole = "tenant";

    private readonly JsonWebTokenHandler _handler = new();

    public TimeSpan Lifetime => TimeSpan.FromMinutes(options.Value.TokenLifetimeMinutes);

    /// <param name="subject">The admin's client id or the tenant's id.</param>
    /// <param name="role">admin or tenant.</param>
    /// <param name="generation">The tenant's secret generation (tenants only).</param>
    public string Issue(string subject, string role, int generation = 0)
    {
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object>
        {
            [JwtRegisteredClaimNames.Sub] = subject,
            [RoleClaim] = role,
            [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
        };
        if (role == TenantRole)
        {
            claims[TenantClaim] = subject;
            claims[GenerationClaim] = generation;
        }

        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Value.Issuer,
            Audience = options.Value.Audience,
            Claims = claims,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Lifetime,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(secrets.SigningKey), SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>Issuer, audience, lifetime, and an HS256 signature with the platform key (no other algorithm).</summary>
    public TokenValidationParameters ValidationParameters() => new()
    {
        ValidIssuer = options.Value.Issuer,
        ValidAudience = options.Value.Audience,
        IssuerSigningKey = new SymmetricSecurityKey(secrets.SigningKey),
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        ValidateLifetime = true,
        ClockSkew = TimeSpan.FromSeconds(30),
        NameClaimType = JwtRegisteredClaimNames.Sub,
        RoleClaimType = RoleClaim,
    };
}
