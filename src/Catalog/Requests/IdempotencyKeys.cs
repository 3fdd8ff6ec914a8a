using Coredms;

namespace Catalog.Requests;

/// <summary>What a request with an <c>Idempotency-Key</c> is to do.</summary>
public enum IdempotentStart
{
    /// <summary>The key is new (or its earlier holder was abandoned): run the request, then complete or release the key.</summary>
    Run,

    /// <summary>The same request was answered before: answer with <see cref="IdempotentClaim.Answer"/>.</summary>
    Replay,

    /// <summary>The key was used with another request.</summary>
    Mismatch,

    /// <summary>The same request is running now.</summary>
    InProgress,
}

/// <summary>The outcome of claiming a key, with the first answer when it is to be replayed.</summary>
public sealed record IdempotentClaim(IdempotentStart Start, string? Answer = null);

/// <summary>
/// Idempotency keys of tenants' requests (the <c>Idempotency-Key</c> header, as Stripe and the IETF httpapi draft
/// use it), kept for <see cref="Retention"/>. A key is claimed with a compare-and-set before the request runs, so
/// that two concurrent requests with one key cannot both run; it holds a hash of the request, and once the request
/// succeeded, its answer. A claim still pending after <see cref="Abandoned"/> (its process died) may be taken over.
/// </summary>
public sealed class IdempotencyKeys(ICoredms coredms, DataClock clock)
{
    public static readonly TimeSpan Retention = TimeSpan.FromDays(1);

    /// <summary>Longer than any request may take (the stream's write timeout is two minutes).</summary>
    public static readonly TimeSpan Abandoned = TimeSpan.FromMinutes(3);

    private const string Pending = "pending";
    private const string Done = "done";

    private readonly CatalogTable<Stored> _table = new(coredms, PlatformTables.IdempotencyKeys, k => new()
    {
        ["tenant"] = k.Tenant, ["key"] = k.Key, ["request_hash"] = k.RequestHash, ["state"] = k.State, ["answer"] = k.Answer, ["claimed_at"] = k.ClaimedAt,
    }, r => new Stored(r.Text("tenant"), r.Text("key"), r.Text("request_hash"), r.Text("state"), r.Get<string>("answer"), r.Get<DateTimeOffset>("claimed_at")));

    private sealed record Stored(string Tenant, string Key, string RequestHash, string State, string? Answer, DateTimeOffset ClaimedAt);

    public async Task<IdempotentClaim> ClaimAsync(string tenant, string key, string requestHash, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (await _table.InsertIfAbsentAsync(new Stored(tenant, key, requestHash, Pending, null, now), Retention, ct))
        {
            return new IdempotentClaim(IdempotentStart.Run);
        }

        var held = await _table.GetAsync([tenant, key], ct);
        if (held is null)
        {
            // Expired or released between the two reads: claim it afresh.
            return await ClaimAsync(tenant, key, requestHash, ct);
        }

        if (held.RequestHash != requestHash)
        {
            return new IdempotentClaim(IdempotentStart.Mismatch);
        }

        if (held.State == Done)
        {
            return new IdempotentClaim(IdempotentStart.Replay, held.Answer);
        }

        if (now - held.ClaimedAt > Abandoned
            && await _table.UpdateIfAsync([tenant, key], new() { ["claimed_at"] = now }, new() { ["state"] = Pending, ["claimed_at"] = held.ClaimedAt }, ct, Retention))
        {
            return new IdempotentClaim(IdempotentStart.Run);
        }

        return new IdempotentClaim(IdempotentStart.InProgress);
    }

    /// <summary>Keeps the request's answer for the retries to come.</summary>
    public Task CompleteAsync(string tenant, string key, string answer, CancellationToken ct) =>
        _table.UpdateIfAsync([tenant, key], new() { ["state"] = Done, ["answer"] = answer }, new() { ["state"] = Pending }, ct, Retention);

    /// <summary>Frees the key of a request that took nothing (refused or failed), so that a retry runs.</summary>
    public Task ReleaseAsync(string tenant, string key, CancellationToken ct) =>
        _table.DeleteIfAsync([tenant, key], new() { ["state"] = Pending }, ct);
}
