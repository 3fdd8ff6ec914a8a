using System.Collections.Concurrent;
using Catalog.Tenants;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Api.Auth;

/// <summary>A well-signed tenant token whose tenant has since changed its secret, or no longer exists.</summary>
public sealed class TokenRevokedException : SecurityTokenValidationException
{
    public TokenRevokedException()
        : base("the token was revoked: the tenant's secret has changed since it was issued, or the tenant was deleted")
    {
    }

    public TokenRevokedException(string message)
        : base(message)
    {
    }

    public TokenRevokedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Checks each tenant token's secret generation against the tenant's current one, so that a token dies with the
/// secret it was issued for (and with the tenant). Generations are cached for a few seconds; a change made in this
/// process drops the cache at once, one made by another API process is seen within <see cref="CacheFor"/>.
/// </summary>
public sealed class TokenRevocation
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    private readonly TenantCatalog _tenants;
    private readonly ConcurrentDictionary<string, (int? Generation, long Until)> _current = new(StringComparer.Ordinal);

    public TokenRevocation(TenantCatalog tenants)
    {
        _tenants = tenants;
        tenants.SecretChanged += tenant => _current.TryRemove(tenant, out _);
    }

    public async Task OnTokenValidatedAsync(TokenValidatedContext context)
    {
        var principal = context.Principal!;
        if (!principal.HasClaim(TokenIssuer.RoleClaim, TokenIssuer.TenantRole))
        {
            return;
        }

        var tenant = principal.FindFirst(TokenIssuer.TenantClaim)?.Value;
        var claimed = principal.FindFirst(TokenIssuer.GenerationClaim)?.Value;
        if (tenant is null || !int.TryParse(claimed, out var generation) || generation != await CurrentAsync(tenant, context.HttpContext.RequestAborted))
        {
            context.Fail(new TokenRevokedException());
        }
    }

    private async Task<int?> CurrentAsync(string tenant, CancellationToken ct)
    {
        var now = Environment.TickCount64;
        if (_current.TryGetValue(tenant, out var cached) && cached.Until > now)
        {
            return cached.Generation;
        }

        var generation = (await _tenants.GetAsync(tenant, ct))?.SecretGeneration;
        _current[tenant] = (generation, now + (long)CacheFor.TotalMilliseconds);
        return generation;
    }
}
