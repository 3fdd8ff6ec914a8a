using System.Collections.Concurrent;

namespace Catalog.Usage;

/// <summary>What the rate limiter decided for a request of some events, and where the tenant stands after it.</summary>
/// <param name="Allowed">The events may go in.</param>
/// <param name="RetryAfter">When refused: how long until the request would fit.</param>
/// <param name="TooLarge">Refused for good: the request alone is more than one second's allowance.</param>
/// <param name="Limit">Events allowed per second (the quota).</param>
/// <param name="Remaining">Events the tenant may send now, after this request.</param>
/// <param name="Reset">How long until the whole second's allowance is back.</param>
public sealed record RateDecision(bool Allowed, TimeSpan RetryAfter, bool TooLarge, long Limit, long Remaining, TimeSpan Reset);

/// <summary>
/// The <c>events_per_second</c> quota, per tenant: a token bucket holding at most one second's allowance and
/// refilled continuously at the quota's rate. A request takes one token per event, all or nothing. Limits are
/// per API process: with several API replicas a tenant's rate is the quota times the replicas.
/// </summary>
public sealed class EventRateLimiter(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    public RateDecision TryTake(string tenant, long perSecond, long events)
    {
        var bucket = _buckets.AddOrUpdate(tenant, _ => new Bucket(perSecond, time.GetTimestamp()), (_, b) => b.Rate == perSecond ? b : new Bucket(perSecond, time.GetTimestamp()));
        lock (bucket)
        {
            var now = time.GetTimestamp();
            bucket.Tokens = Math.Min(perSecond, bucket.Tokens + (time.GetElapsedTime(bucket.Updated, now).TotalSeconds * perSecond));
            bucket.Updated = now;
            var allowed = events <= bucket.Tokens;
            if (allowed)
            {
                bucket.Tokens -= events;
            }

            var wait = allowed || events > perSecond ? TimeSpan.Zero : TimeSpan.FromSeconds((events - bucket.Tokens) / perSecond);
            return new RateDecision(allowed, wait, TooLarge: events > perSecond, perSecond, (long)Math.Floor(bucket.Tokens),
                TimeSpan.FromSeconds((perSecond - bucket.Tokens) / perSecond));
        }
    }

    private sealed class Bucket(long rate, long updated)
    {
        public long Rate { get; } = rate;

        public double Tokens { get; set; } = rate;

        public long Updated { get; set; } = updated;
    }
}
