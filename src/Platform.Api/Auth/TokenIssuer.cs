using System.IdentityModel.Tokens.Jwt;
using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Api.Auth;

/// <summary>Issues HS256 JWTs with the platform's issuer and audience; the role is admin or tenant.</summary>
/// <remarks>Tokens use real time, as JwtBearer validates them against it, whatever clock the data uses.</remarks>
public sealed class TokenIssuer(PlatformSecrets secrets, IOptions<AuthOptions> options)
{
    public const string RoleClaim = "role";
    public const string TenantClaim = "tenant";
    public const string AdminRole = "admin";
    public const string TenantRole = "tenant";

    public TimeSpan Lifetime => TimeSpan.FromMinutes(options.Value.TokenLifetimeMinutes);

    public string Issue(string subject, string role)
    {
        var now = DateTime.UtcNow;
        var claims = new List<Claim>
        {
            new(JwtRegisteredClaimNames.Sub, subject),
            new(RoleClaim, role),
            new(JwtRegisteredClaimNames.Jti, Guid.NewGuid().ToString("N")),
        };
        if (role == TenantRole)
        {
            claims.Add(new Claim(TenantClaim, subject));
        }

        var token = new JwtSecurityToken(options.Value.Issuer, options.Value.Audience, claims, now, now + Lifetime,
            new SigningCredentials(new SymmetricSecurityKey(secrets.SigningKey), SecurityAlgorithms.HmacSha256));
        return new JwtSecurityTokenHandler().WriteToken(token);
    }

    /// <summary>
    /// Validation: issuer, audience, lifetime and an HMAC signature with the platform key (IdentityModel 5
    /// has no algorithm allow-list, so <see cref="IsHs256"/> is checked after validation).
    /// </summary>
    public TokenValidationParameters ValidationParameters() => new()
    {
        ValidIssuer = options.Value.Issuer,
        ValidAudience = options.Value.Audience,
        IssuerSigningKey = new SymmetricSecurityKey(secrets.SigningKey),
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        ValidateLifetime = true,
        ClockSkew = TimeSpan.FromSeconds(30),
        NameClaimType = JwtRegisteredClaimNames.Sub,
        RoleClaimType = RoleClaim,
    };

    /// <summary>True for a token signed with HS256 (not HS384/HS512 with the same key, not unsigned).</summary>
    public static bool IsHs256(SecurityToken token) => token is JwtSecurityToken { Header.Alg: SecurityAlgorithms.HmacSha256 };
}
