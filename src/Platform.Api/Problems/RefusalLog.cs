using IngestionLog;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;

namespace Platform.Api.Problems;

/// <summary>
/// Puts what an ingestion endpoint refused into the tenant's ingestion log (<c>upload.refused</c>,
/// <c>events.refused</c>): the status and the detail the client was answered, so that an admin reading the log
/// sees the 415, 404 or 413 the client saw. Quota refusals are already logged as <c>quota.exceeded</c> by
/// <see cref="QuotaProblems"/> and are not repeated.
/// </summary>
public static class RefusalLog
{
    private const string QuotaType = "urn:mysimbdp:problem:quota-exceeded";

    public static TBuilder LogsRefusals<TBuilder>(this TBuilder builder, string action) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var result = await next(context);
            if (((result as INestedHttpResult)?.Result ?? result) is ProblemHttpResult { StatusCode: >= 400 } problem && problem.ProblemDetails.Type != QuotaType)
            {
                var http = context.HttpContext;
                var route = http.Request.RouteValues;
                var tenant = (route["tenant"] ?? route["tenant_id"])?.ToString();
                var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RefusalLog));
                logger.IngestionEvent(action, "{EventAction}: {TenantId} {Dataset} answered {StatusCode}: {ErrorMessage}",
                    tenant, route["name"]?.ToString(), problem.StatusCode, problem.ProblemDetails.Detail);
            }

            return result;
        });
}
