using Catalog.Agreements;
using Catalog.Runs;
using Catalog.Usage;
using Coredms;
using Ingestion.Claims;
using Microsoft.Extensions.Options;

namespace BatchIngestManager.Runs;

/// <summary>
/// Executes requested runs. A tenant runs as many runs at once as <see cref="QuotaPolicy.RunSlots"/> allows, each in a
/// slot locked in the catalog (so two batch managers never take the same slot); up to <c>MaxParallelTenants</c> runs
/// go side by side in all. Runs requested in this process start at once; others are found by polling the queue of
/// unfinished runs (never a tenant's whole history). On start, <see cref="RunRecovery"/> deals with what a killed
/// process left.
/// <para>
/// Sharing between tenants: slots are handed out in rounds (every waiting tenant's first slot before anyone's second),
/// tenants served longest ago first; and a tenant holding a slot gives it up after each run while another tenant waits
/// with no slot at all and none is free. A tenant that keeps requesting runs therefore takes turns with the others
/// instead of holding the slots for as long as it has runs.
/// </para>
/// </summary>
public sealed class RunExecutor(RunCatalog runs, AgreementCatalog agreements, BatchRun batchRun, RunRecovery recovery, WorkerIdentity me,
    IOptions<BatchOptions> options, DataClock clock, ILogger<RunExecutor> logger) : BackgroundService
{
    public static readonly TimeSpan LockLease = TimeSpan.FromSeconds(60);
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Dictionary<(string Tenant, int Slot), Task> _active = new();

    /// <summary>When each tenant last got a slot in this process (tenants never served here come first).</summary>
    private readonly Dictionary<string, long> _served = new(StringComparer.Ordinal);

    /// <summary>The lock of one of a tenant's run slots (slot 0 is the tenant's id, as before slots).</summary>
    private static string SlotLock(string tenant, int slot) => slot == 0 ? tenant : $"{tenant}#{slot}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        runs.Requested += Wake;
        try
        {
            await recovery.RecoverAsync(stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                await PumpAsync(stoppingToken);
                await WaitForWorkAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            runs.Requested -= Wake;
            Task[] active;
            lock (_active)
            {
                active = [.. _active.Values];
            }

            await Task.WhenAll(active);
        }
    }

    private void Wake() => _wake.Release();

    /// <summary>
    /// Waits for a wake-up or the poll interval (other processes' requests). The wait is cancelled when the interval
    /// passes, so no waiter is left behind to swallow a later wake-up (one left by a plain race with a delay made the
    /// next request wait for the following poll).
    /// </summary>
    private async Task WaitForWorkAsync(CancellationToken stoppingToken)
    {
        using var poll = new CancellationTokenSource(TimeSpan.FromSeconds(options.Value.PollSeconds), clock);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, poll.Token);
        try
        {
            await _wake.WaitAsync(either.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task PumpAsync(CancellationToken ct)
    {
        var waiting = (await runs.UnfinishedAsync(null, ct)).Where(r => r.Status == RunStatus.Requested).GroupBy(r => r.Tenant)
            .ToDictionary(g => g.Key, g => g.Count());
        List<string> order;
        lock (_active)
        {
            order = [.. waiting.Keys.OrderBy(t => _served.GetValueOrDefault(t, long.MinValue)).ThenBy(t => t, StringComparer.Ordinal)];
        }

        var slots = new Dictionary<string, int>();
        foreach (var tenant in order)
        {
            slots[tenant] = QuotaPolicy.RunSlots(await agreements.GetAsync(tenant, ct));
        }

        // Round r offers each tenant its slot r: everyone's first slot before anyone's second.
        for (var slot = 0; order.Any(t => slot < slots[t] && waiting[t] > 0); slot++)
        {
            foreach (var tenant in order.Where(t => slot < slots[t] && waiting[t] > 0))
            {
                lock (_active)
                {
                    if (_active.ContainsKey((tenant, slot)))
                    {
                        continue;
                    }

                    if (_active.Count >= options.Value.MaxParallelTenants)
                    {
                        return;
                    }
                }

                if (!await runs.TryLockAsync(SlotLock(tenant, slot), me.Id, LockLease, WorkerIdentity.IsDeadHereOrGone, ct))
                {
                    continue;
                }

                waiting[tenant]--;
                var taken = slot;
                lock (_active)
                {
                    _served[tenant] = clock.GetTimestamp();
                    _active[(tenant, taken)] = Task.Run(() => DrainTenantAsync(tenant, taken, ct), CancellationToken.None);
                }
            }
        }
    }

    /// <summary>Whether another tenant has runs waiting, no slot in this process, and no free slot to take.</summary>
    private async Task<bool> OthersWaitAsync(string tenant, CancellationToken ct)
    {
        lock (_active)
        {
            if (_active.Count < options.Value.MaxParallelTenants)
            {
                return false;
            }
        }

        var others = (await runs.UnfinishedAsync(null, ct)).Where(r => r.Status == RunStatus.Requested && r.Tenant != tenant).Select(r => r.Tenant).ToHashSet();
        lock (_active)
        {
            return others.Any(o => !_active.Keys.Any(k => k.Tenant == o));
        }
    }

    /// <summary>Runs the tenant's requested runs, oldest first, while holding (and renewing) one of its slots.</summary>
    private async Task DrainTenantAsync(string tenant, int slot, CancellationToken ct)
    {
        var slotLock = SlotLock(tenant, slot);
        using var renewal = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var renewing = RenewLockAsync(slotLock, renewal.Token);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var next = (await runs.UnfinishedAsync(tenant, ct)).FirstOrDefault(r => r.Status == RunStatus.Requested);
                if (next is null)
                {
                    break;
                }

                if (await runs.TryStartAsync(next, me.Id, ct))
                {
                    await batchRun.ExecuteAsync(next with { Owner = me.Id }, ct);
                    if (await OthersWaitAsync(tenant, ct))
                    {
                        break; // Its turn is over: the slot goes to a tenant that has none.
                    }
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            logger.LogError(e, "Running the batch runs of {TenantId} failed", tenant);
        }
        finally
        {
            await renewal.CancelAsync();
            await renewing;
            await runs.UnlockAsync(slotLock, me.Id, CancellationToken.None);
            lock (_active)
            {
                _active.Remove((tenant, slot));
            }

            Wake();
        }
    }

    private async Task RenewLockAsync(string slotLock, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(LockLease / 3, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                await runs.RenewLockAsync(slotLock, me.Id, LockLease, ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }
}
