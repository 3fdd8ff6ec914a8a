using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using StreamIngestManager;

namespace Platform.Api.Events;

/// <summary>
/// Bounds the events requests being ingested at once by the size of their bodies (KiB of Content-Length; the
/// request limit when the length is not given), before a body is read: a request waits its turn in a bounded
/// queue, oldest first, and is refused (the caller answers 503 with Retry-After) when the queue is full or its
/// wait passes <see cref="StreamOptions.EventsQueueSeconds"/>. When writes fall behind, requests wait or are
/// refused instead of piling up in memory. A tenant holds at most half of the room and half of the queue (never
/// less than one request of the largest size), so that one flooding tenant leaves the other half to the rest.
/// </summary>
public sealed class EventsAdmission : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;
    private readonly int _permits;
    private readonly long _requestLimit;
    private readonly TimeSpan _wait;

    public EventsAdmission(IOptions<StreamOptions> options)
    {
        var o = options.Value;
        _permits = Math.Max(o.EventsInFlightMb, o.MaxEventsRequestMb) * 1024;
        _requestLimit = o.MaxEventsRequestMb * 1024L * 1024;
        _wait = TimeSpan.FromSeconds(o.EventsQueueSeconds);
        var queue = o.EventsQueueMb * 1024;
        var largest = o.MaxEventsRequestMb * 1024;
        var perTenant = PartitionedRateLimiter.Create<string, string>(tenant => RateLimitPartition.GetConcurrencyLimiter(tenant, _ => new ConcurrencyLimiterOptions
        {
            PermitLimit = Math.Max(largest, _permits / 2),
            QueueLimit = Math.Max(largest, queue / 2),
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        }));
        var all = PartitionedRateLimiter.Create<string, string>(_ => RateLimitPartition.GetConcurrencyLimiter("all", _ => new ConcurrencyLimiterOptions
        {
            PermitLimit = _permits,
            QueueLimit = queue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        }));
        _limiter = PartitionedRateLimiter.CreateChained(perTenant, all);
    }

    /// <summary>Seconds a refused client is told to wait before it tries again.</summary>
    public int RetryAfterSeconds => (int)Math.Clamp(Math.Ceiling(_wait.TotalSeconds / 2), 1, 30);

    /// <summary>Room for a request of <paramref name="tenant"/> of <paramref name="contentLength"/> bytes (disposed when it is done), or null when it is refused.</summary>
    public async Task<RateLimitLease?> EnterAsync(string tenant, long? contentLength, CancellationToken ct)
    {
        var kib = (int)Math.Clamp(((contentLength ?? _requestLimit) + 1023) / 1024, 1, _permits);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(_wait);
        RateLimitLease lease;
        try
        {
            lease = await _limiter.AcquireAsync(tenant, kib, wait.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }

        if (lease.IsAcquired)
        {
            return lease;
        }

        lease.Dispose();
        return null;
    }

    public void Dispose() => _limiter.Dispose();
}
