using Catalog;
using Coredms;
using Catalog.Files;
using Catalog.Tenants;
using Catalog.Usage;
using Ingestion.Claims;
using Microsoft.Extensions.Options;

namespace Platform.Api.Files;

/// <summary>
/// When the API starts: uploads that a killed process left in <c>.incoming/</c> are removed and their quota
/// reservations given back (their names say which; see <see cref="PartFile"/>), while uploads of processes still
/// running, here or on other hosts, are left alone. One that was already recorded but not yet moved into <c>in/</c>
/// (the process died between the two, before it answered 202) is marked failed with the reason. In embedded mode, where this process is the only one,
/// the bytes waiting in staging are then recounted from the catalog, so that no crash leaves them off.
/// </summary>
public sealed class IncomingSweep(StagingArea staging, TenantCatalog tenants, FileCatalog files, UsageLedger ledger, IOptions<PlatformOptions> platform,
    DataClock clock, ILogger<IncomingSweep> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Directory.Exists(staging.Root))
        {
            foreach (var tenantFolder in Directory.EnumerateDirectories(staging.Root))
            {
                await SweepAsync(Path.GetFileName(tenantFolder), cancellationToken);
            }
        }

        if (platform.Value.IsEmbedded)
        {
            foreach (var tenant in await tenants.ListAsync(cancellationToken))
            {
                var waiting = (await files.ListAsync(tenant.Id, cancellationToken))
                    .Where(f => f.Status is FileStatus.Staged or FileStatus.Processing).Sum(f => f.Bytes);
                await ledger.SetStagedAsync(tenant.Id, waiting, cancellationToken);
            }
        }
    }

    private async Task SweepAsync(string tenant, CancellationToken ct)
    {
        var incoming = staging.Incoming(tenant);
        if (!Directory.Exists(incoming))
        {
            return;
        }

        foreach (var path in Directory.EnumerateFiles(incoming, "*.part"))
        {
            var part = PartFile.Parse(Path.GetFileName(path));
            if (part is not null && !WorkerIdentity.IsDeadHereOrGone(part.Owner))
            {
                continue;
            }

            File.Delete(path);
            if (part is not null && await files.GetAsync(tenant, part.FileId, ct) is { Status: FileStatus.Staged } recorded
                && !File.Exists(staging.Resolve(tenant, recorded.Path)))
            {
                await files.SaveAsync(recorded with
                {
                    Status = FileStatus.Failed, FinishedAt = clock.GetUtcNow(),
                    Error = "the upload was interrupted before the platform accepted it (no 202 was sent): upload the file again",
                }, ct);
            }

            if (part is { Day: { } day, Bytes: > 0 })
            {
                await ledger.AddAsync(tenant, day, new DayDelta(Files: -1), ct);
                await ledger.AddStagedAsync(tenant, -part.Bytes, ct);
            }

            logger.LogWarning("Removed {File}, an upload of {TenantId} that a stopped process left half-received", Path.GetFileName(path), tenant);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
