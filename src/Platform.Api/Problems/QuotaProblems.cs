using System.Globalization;
using Catalog.Usage;
using IngestionLog;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Platform.Api.Problems;

/// <summary>
/// What every path answers when <see cref="QuotaPolicy"/> refuses: 409 for a tenant without an agreement, else 413
/// (size, storage) or 429 (rates, with Retry-After), naming the quota, its limit and the usage.
/// </summary>
public static class QuotaProblems
{
    public static ProblemHttpResult Refused(HttpContext http, ILogger logger, string tenant, QuotaRefusal refusal)
    {
        if (refusal.Quota == QuotaRefusal.NoAgreement)
        {
            return Problem.Conflict(refusal.Detail);
        }

        if (refusal.RetryAfter is { } wait)
        {
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        logger.IngestionEvent(IngestionEvents.QuotaExceeded, "{EventAction}: {TenantId} refused: {Quota} limit {Limit}, usage {Used}",
            tenant, refusal.Quota, refusal.Limit, refusal.Used);
        return Problem.Of(refusal.Status, "quota-exceeded", "Quota exceeded", refusal.Detail,
            new Dictionary<string, object?> { ["quota"] = refusal.Quota, ["limit"] = refusal.Limit, ["usage"] = refusal.Used });
    }
}
