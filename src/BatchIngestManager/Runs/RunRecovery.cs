using Catalog.Files;
using Catalog.Runs;
using Catalog.Tenants;
using Coredms;
using Ingestion.Claims;

namespace BatchIngestManager.Runs;

/// <summary>
/// When the batch manager starts: runs that a killed process left "running" are marked failed with the reason, and
/// each tenant whose files such a process left claimed gets a recovery run (unless a run waits already) that takes them over.
/// </summary>
public sealed class RunRecovery(RunCatalog runs, TenantCatalog tenants, FileCatalog files, FileClaims claims, DataClock clock, ILogger<RunRecovery> logger)
{
    public async Task RecoverAsync(CancellationToken ct)
    {
        var interrupted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var run in (await runs.UnfinishedAsync(null, ct)).Where(r => r.Status == RunStatus.Running && WorkerIdentity.IsDeadHereOrGone(r.Owner)))
        {
            await runs.FinishAsync(run with { Status = RunStatus.Failed, Error = "interrupted: the process running it stopped", FinishedAt = clock.GetUtcNow(), Owner = null }, ct);
            interrupted.Add(run.Tenant);
        }

        foreach (var tenant in await tenants.ListAsync(ct))
        {
            var abandoned = interrupted.Contains(tenant.Id) || (await files.ListAsync(tenant.Id, ct)).Any(f => f.Status == FileStatus.Processing && claims.IsClaimable(f));
            if (abandoned && !(await runs.UnfinishedAsync(tenant.Id, ct)).Any(r => r.Status == RunStatus.Requested))
            {
                logger.LogInformation("Requesting a recovery run for {TenantId}, whose files a stopped process left unfinished", tenant.Id);
                await runs.RequestAsync(tenant.Id, null, "recovery", ct);
            }
        }
    }
}
