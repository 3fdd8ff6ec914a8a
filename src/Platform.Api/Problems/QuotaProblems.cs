using System.Globalization;
using Catalog.Usage;
using IngestionLog;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Platform.Api.Problems;

/// <summary>Refusals over a quota: 413 (size, storage) or 429 (rates), naming the quota, its limit and the usage.</summary>
public static class QuotaProblems
{
    public static ProblemHttpResult Exceeded(HttpContext http, ILogger logger, string tenant, QuotaRefusal refusal) =>
        Exceeded(http, logger, tenant, refusal.Status, new QuotaUsage(refusal.Quota, refusal.Limit, refusal.Used), refusal.Used, refusal.Detail);

    public static ProblemHttpResult Exceeded(HttpContext http, ILogger logger, string tenant, int status, QuotaUsage quota, long used, string detail)
    {
        if (status == StatusCodes.Status429TooManyRequests && quota.Quota.EndsWith("_per_day", StringComparison.Ordinal))
        {
            var now = DateTimeOffset.UtcNow;
            var midnight = new DateTimeOffset(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);
            http.Response.Headers.RetryAfter = ((int)Math.Ceiling((midnight - now).TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        logger.IngestionEvent(IngestionEvents.QuotaExceeded, "{EventAction}: {TenantId} refused: {Quota} limit {Limit}, usage {Used}",
            IngestionEvents.QuotaExceeded, tenant, quota.Quota, quota.Limit, used);
        return Problem.Of(status, "quota-exceeded", "Quota exceeded", detail,
            new Dictionary<string, object?> { ["quota"] = quota.Quota, ["limit"] = quota.Limit, ["usage"] = used });
    }
}
