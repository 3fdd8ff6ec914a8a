using Coredms;
using Catalog.Agreements;
using Catalog.Files;
using Catalog.Runs;
using Catalog.Tenants;
using Ingestion.Claims;
using Ingestion.Pipeline;
using Microsoft.Extensions.Options;

namespace BatchIngestManager.Runs;

/// <summary>
/// Executes requested runs. A tenant runs as many runs at once as its agreement's <c>concurrent_runs</c> allows (1
/// by default, and 1 whenever it has a batch app, which works on the whole staging folder), each in a slot locked
/// in the catalog (so two batch managers never take the same slot); up to <c>MaxParallelTenants</c> runs go side by
/// side in all. Runs requested in this process start at once; others are found by polling. On start, runs that a
/// killed process left "running" are marked failed and a recovery run picks up their files.
/// </summary>
public sealed class RunExecutor(
    RunCatalog runs, TenantCatalog tenants, AgreementCatalog agreements, FileCatalog files, BatchRun batchRun, StagedFileIngestor ingestor, WorkerIdentity me,
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
            await RecoverAsync(stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                await PumpAsync(stoppingToken);
                await Task.WhenAny(_wake.WaitAsync(stoppingToken), Task.Delay(TimeSpan.FromSeconds(options.Value.PollSeconds), clock, stoppingToken));
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

    private async Task RecoverAsync(CancellationToken ct)
    {
        foreach (var tenant in await tenants.ListAsync(ct))
        {
            var needsRun = false;
            foreach (var run in (await runs.ListAsync(tenant.Id, ct)).Where(r => r.Status == RunStatus.Running && WorkerIdentity.IsDeadHereOrGone(r.Owner)))
            {
                await runs.SaveAsync(run with { Status = RunStatus.Failed, Error = "interrupted: the process running it stopped", FinishedAt = clock.GetUtcNow(), Owner = null }, ct);
                needsRun = true;
            }

            needsRun |= (await files.ListAsync(tenant.Id, ct)).Any(f => f.Status == FileStatus.Processing && ingestor.IsClaimable(f));
            if (needsRun && !(await runs.ListAsync(tenant.Id, ct)).Any(r => r.Status == RunStatus.Requested))
            {
                logger.LogInformation("Requesting a recovery run for {TenantId}, whose files a stopped process left unfinished", tenant.Id);
                await runs.RequestAsync(tenant.Id, null, "recovery", ct);
            }
        }
    }

    private async Task PumpAsync(CancellationToken ct)
    {
        foreach (var tenant in await tenants.ListAsync(ct))
        {
            var waiting = (await runs.ListAsync(tenant.Id, ct)).Count(r => r.Status == RunStatus.Requested);
            if (waiting == 0)
            {
                continue;
            }

            var agreement = await agreements.GetAsync(tenant.Id, ct);
            var slots = agreement?.BatchApp is null ? (int)Math.Clamp(agreement?.Quotas.ConcurrentRuns ?? 1, 1, 16) : 1;
            for (var slot = 0; slot < slots && waiting > 0; slot++)
            {
                lock (_active)
                {
                    if (_active.ContainsKey((tenant.Id, slot)))
                    {
                        continue;
                    }

                    if (_active.Count >= options.Value.MaxParallelTenants)
                    {
                        return;
                    }
                }

                if (!await runs.TryLockAsync(SlotLock(tenant.Id, slot), me.Id, LockLease, WorkerIdentity.IsDeadHereOrGone, ct))
                {
                    continue;
                }

                waiting--;
                var (id, taken) = (tenant.Id, slot);
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
                var next = (await runs.ListAsync(tenant, ct)).Where(r => r.Status == RunStatus.Requested).MinBy(r => r.RunId);
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
