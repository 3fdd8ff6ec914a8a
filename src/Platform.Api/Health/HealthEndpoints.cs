using Catalog;
using Coredms;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Platform.Api.Health;

public sealed record Health(string Status, string Coredms, string Mode);

public static class HealthEndpoints
{
    public static void MapHealth(this IEndpointRouteBuilder app) =>
        app.MapGet("/healthz", Check).AllowAnonymous().WithTags("Health").WithSummary("200 when the host and its stores are ready.");

    public static async Task<Results<Ok<Health>, JsonHttpResult<Health>>> Check(ICoredms coredms, Microsoft.Extensions.Options.IOptions<PlatformOptions> platform, CancellationToken ct)
    {
        try
        {
            await coredms.SelectAsync(PlatformTables.Tenants, SelectQuery.All(1), ct);
            return TypedResults.Ok(new Health("ok", coredms.Engine, platform.Value.Mode));
        }
        catch (CoredmsException)
        {
            return TypedResults.Json(new Health("unavailable", coredms.Engine, platform.Value.Mode), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
