using System.Security.Claims;
using Catalog.Tenants;
using Platform.Api.Problems;

namespace Platform.Api.Auth;

/// <summary>The tenant a request acts for, set from the route only after the principal was checked against it.</summary>
public sealed class TenantContext
{
    private string? _id;

    public string Id => _id ?? throw new InvalidOperationException("No tenant was authorised for this request.");

    /// <summary>The tenant, or null before (or without) authorisation for one.</summary>
    public string? IdOrNull => _id;

    internal void Set(string id) => _id = id;
}

/// <summary>
/// Guards <c>/tenants/{tenant}/…</c> (and the seed aliases): an admin reaches every tenant, a tenant token
/// only its own (403 otherwise, before revealing whether the other tenant exists); an unknown tenant is 404.
/// </summary>
public static class TenantAccess
{
    public static async ValueTask<object?> Filter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var routeTenant = http.Request.RouteValues.TryGetValue("tenant", out var t) ? t as string
            : http.Request.RouteValues.TryGetValue("tenant_id", out var s) ? s as string : null;
        if (routeTenant is null)
        {
            return Problem.BadRequest("The route names no tenant.");
        }

        var user = http.User;
        var isAdmin = user.HasClaim(TokenIssuer.RoleClaim, TokenIssuer.AdminRole);
        var isOwner = user.HasClaim(TokenIssuer.RoleClaim, TokenIssuer.TenantRole) && user.FindFirstValue(TokenIssuer.TenantClaim) == routeTenant;
        if (!isAdmin && !isOwner)
        {
            return Problem.Forbidden($"This token may not act for tenant '{routeTenant}': a tenant token reaches only its own /tenants/{{id}} routes.");
        }

        if (!TenantCatalog.IdPattern().IsMatch(routeTenant) || await http.RequestServices.GetRequiredService<TenantCatalog>().GetAsync(routeTenant, http.RequestAborted) is null)
        {
            return Problem.NotFound($"Tenant '{routeTenant}' does not exist.");
        }

        http.RequestServices.GetRequiredService<TenantContext>().Set(routeTenant);
        return await next(context);
    }

    /// <summary>Requires an authenticated principal and applies <see cref="Filter"/> to a route group.</summary>
    public static RouteGroupBuilder ForTenant(this RouteGroupBuilder group) =>
        group.RequireAuthorization().AddEndpointFilter(Filter);
}
