using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace StreamIngestManager.Tenants;

/// <summary>
/// The slots in which a process streams files, <see cref="StreamOptions.FilesInParallel"/> in all, shared fairly by
/// its tenants: a tenant alone may use them all; while others are active (streaming, waiting, or asking within
/// <see cref="Active"/>), each may hold an equal share (at least one), and a freed slot goes to the first waiting
/// tenant under its share. A tenant that floods its staging folder therefore keeps at most its share, and a
/// tenant with a file now and then finds a slot free instead of queueing behind the flood (measured by
/// <c>bench stream --noisy-neighbour</c>).
/// </summary>
internal sealed class FileSlots(IOptions<StreamOptions> options)
{
    /// <summary>How long a tenant's last request keeps it among those the slots are shared with.</summary>
    public static readonly TimeSpan Active = TimeSpan.FromSeconds(5);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _held = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _asked = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Tenant, TaskCompletionSource Granted)> _waiting = [];

    private int Total => options.Value.FilesInParallel;

    /// <summary>Waits for a slot for <paramref name="tenant"/>; disposing the result gives it back.</summary>
    public async Task<IDisposable> AcquireAsync(string tenant, CancellationToken ct)
    {
        LinkedListNode<(string, TaskCompletionSource)> node;
        lock (_lock)
        {
            _asked[tenant] = Stopwatch.GetTimestamp();
            // Waiting tenants are all at their share (a freed slot goes at once to one that is not), so they do not stand in the way.
            if (MayTake(tenant))
            {
                _held[tenant] = _held.GetValueOrDefault(tenant) + 1;
                return new Slot(this, tenant);
            }

            node = _waiting.AddLast((tenant, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)));
        }

        using (ct.Register(() =>
        {
            lock (_lock)
            {
                if (node.List is not null)
                {
                    _waiting.Remove(node);
                    node.Value.Item2.TrySetCanceled(ct);
                }
            }
        }))
        {
            await node.Value.Item2.Task;
        }

        return new Slot(this, tenant);
    }

    /// <summary>Under the lock: a slot is free and the tenant holds less than its share.</summary>
    private bool MayTake(string tenant)
    {
        if (_held.Values.Sum() >= Total)
        {
            return false;
        }

        var active = _asked.Count(a => a.Key == tenant || _held.GetValueOrDefault(a.Key) > 0 || Stopwatch.GetElapsedTime(a.Value) < Active
            || _waiting.Any(w => w.Tenant == a.Key));
        return _held.GetValueOrDefault(tenant) < Math.Max(1, Total / Math.Max(1, active));
    }

    private void Release(string tenant)
    {
        lock (_lock)
        {
            if (--_held[tenant] == 0)
            {
                _held.Remove(tenant);
            }

            // Grant freed slots in arrival order to the waiting tenants under their share.
            for (var node = _waiting.First; node is not null;)
            {
                var next = node.Next;
                if (MayTake(node.Value.Tenant))
                {
                    _waiting.Remove(node);
                    _held[node.Value.Tenant] = _held.GetValueOrDefault(node.Value.Tenant) + 1;
                    node.Value.Granted.TrySetResult();
                }

                node = next;
            }

            foreach (var stale in _asked.Where(a => !_held.ContainsKey(a.Key) && Stopwatch.GetElapsedTime(a.Value) > Active * 10).Select(a => a.Key).ToList())
            {
                _asked.Remove(stale);
            }
        }
    }

    private sealed class Slot(FileSlots slots, string tenant) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release(tenant);
            }
        }
    }
}
