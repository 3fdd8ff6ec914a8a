using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Platform.Api.Auth;

/// <summary>
/// Slows down guessing at <c>POST /auth/token</c>: failed logins are counted per client id and per client address in
/// one-minute windows, and past either limit that client id (or address) is refused with 429 until the window
/// ends, even with the right secret. Successful logins cost nothing. Counts are per API process.
/// </summary>
public sealed class LoginThrottle(IOptions<AuthOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _failures = PartitionedRateLimiter.Create<string, string>(key =>
        RateLimitPartition.GetFixedWindowLimiter(key, k => new FixedWindowRateLimiterOptions
        {
            PermitLimit = k.StartsWith("id:", StringComparison.Ordinal) ? options.Value.FailedLoginsPerClientPerMinute : options.Value.FailedLoginsPerAddressPerMinute,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    /// <summary>How long the caller must wait when its client id or address used up its failures, else null.</summary>
    public TimeSpan? RetryAfter(string clientId, string? address)
    {
        foreach (var key in Keys(clientId, address))
        {
            using var check = _failures.AttemptAcquire(key, permitCount: 0);
            if (!check.IsAcquired)
            {
                return check.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
            }
        }

        return null;
    }

    public void Failed(string clientId, string? address)
    {
        foreach (var key in Keys(clientId, address))
        {
            using var _ = _failures.AttemptAcquire(key);
        }
    }

    private static IEnumerable<string> Keys(string clientId, string? address) =>
        address is null ? ["id:" + clientId] : ["id:" + clientId, "ip:" + address];

    public void Dispose() => _failures.Dispose();
}
