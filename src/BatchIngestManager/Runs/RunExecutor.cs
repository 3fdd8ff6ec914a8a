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
/// </summary>
public sealed class RunExecutor(RunCatalog runs, AgreementCatalog agreements, BatchRun batchRun, RunRecovery recovery, WorkerIdentity me,
    IOptions<BatchOptions> options, DataClock clock, ILogger<RunExecutor> logger) : BackgroundService
{
    public static readonly TimeSpan LockLease = TimeSpan.FromSeconds(60);
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Dictionary<(string Tenant, int Slot), Task> _active = new();

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
        foreach (var tenant in (await runs.UnfinishedAsync(null, ct)).Where(r => r.Status == RunStatus.Requested).GroupBy(r => r.Tenant))
        {
            var waiting = tenant.Count();
            var slots = QuotaPolicy.RunSlots(await agreements.GetAsync(tenant.Key, ct));
            for (var slot = 0; slot < slots && waiting > 0; slot++)
            {
                lock (_active)
                {
                    if (_active.ContainsKey((tenant.Key, slot)))
                    {
                        continue;
                    }

                    if (_active.Count >= options.Value.MaxParallelTenants)
                    {
                        return;
                    }
                }

                if (!await runs.TryLockAsync(SlotLock(tenant.Key, slot), me.Id, LockLease, WorkerIdentity.IsDeadHereOrGone, ct))
                {
                    continue;
                }

                waiting--;
                var (id, taken) = (tenant.Key, slot);
                lock (_active)
                {
                    _active[(id, taken)] = Task.Run(() => DrainTenantAsync(id, taken, ct), CancellationToken.None);
                }
            }
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
