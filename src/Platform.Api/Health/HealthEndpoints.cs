using Catalog;
using Coredms;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Platform.Api.Health;

/// <summary>
/// The platform's health: <c>status</c> is ok, degraded (free space where the platform keeps its data is under
/// <c>min_free_mb</c>) or unavailable (the catalog cannot be read); the coredms engine; the mode; free MB (-1: unknown).
/// </summary>
public sealed record Health(string Status, string Coredms, string Mode, long FreeMb, long MinFreeMb);

public static class HealthEndpoints
{
    public static void MapHealth(this IEndpointRouteBuilder app) =>
        app.MapGet("/healthz", Check).AllowAnonymous().WithTags("Health")
            .WithSummary("200 when the host and its stores are ready; 503 when the catalog cannot be read or free space is under Platform:MinFreeMb.");

    public static async Task<Results<Ok<Health>, JsonHttpResult<Health>>> Check(ICoredms coredms, IOptions<PlatformOptions> platform, CancellationToken ct)
    {
        var options = platform.Value;
        var freeMb = DiskSpace.FreeBytes(options.Home) / (1024 * 1024);
        string status;
        try
        {
            await coredms.SelectAsync(PlatformTables.Tenants, SelectQuery.All(1), ct);
            status = freeMb >= 0 && freeMb < options.MinFreeMb ? "degraded" : "ok";
        }
        catch (CoredmsException)
        {
            status = "unavailable";
        }

        var health = new Health(status, coredms.Engine, options.Mode, freeMb, options.MinFreeMb);
        return status == "ok" ? TypedResults.Ok(health) : TypedResults.Json(health, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
