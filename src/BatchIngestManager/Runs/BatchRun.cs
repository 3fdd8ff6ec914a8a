using Coredms;
using Ingestion.Apps;
using Ingestion.Staging;
using Catalog.Agreements;
using Catalog.Datasets;
using Catalog.Files;
using Catalog.Runs;
using Catalog.Usage;
using Ingestion.Pipeline;
using IngestionLog;
using Microsoft.Extensions.Options;

namespace BatchIngestManager.Runs;

/// <summary>
/// Executes one batch run of a tenant: claims the files waiting for its batch datasets, lets the tenant's app
/// (if the agreement names one) turn <c>in</c> into <c>out</c>, then ingests each file (or the app's output for
/// it). Stops between files once the tenant's rows-per-day quota is reached, leaving the rest staged.
/// </summary>
public sealed class BatchRun(
    AgreementCatalog agreements, DatasetCatalog datasets, FileCatalog files, RunCatalog runs, QuotaPolicy quotas, StagingArea staging,
    StagedFileIngestor ingestor, StagingScanner scanner, TenantAppRunner apps, IOptions<AppsOptions> options, DataClock clock, ILogger<BatchRun> logger)
{
    public async Task<RunRecord> ExecuteAsync(RunRecord run, CancellationToken ct)
    {
        logger.IngestionEvent(IngestionEvents.RunStarted, "{EventAction}: {TenantId} run {RunId} ({Trigger}) for {Dataset}",
            IngestionEvents.RunStarted, run.Tenant, run.RunId, run.Trigger, run.Dataset ?? "every batch dataset");
        var started = clock.GetUtcNow();
        run = run with { Status = RunStatus.Running, StartedAt = started };
        string? error = null;
        var done = new List<FileRecord>();
        try
        {
            error = await IngestAsync(run, done, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Run {RunId} of {TenantId} failed", run.RunId, run.Tenant);
            error = "the run failed: " + e.Message;
        }

        var results = done.Select(RunFile.From).ToList();
        var status = RunStatus.Of(results, error);
        if (error is null && status != RunStatus.Succeeded)
        {
            var failed = results.Count(f => f.Status == FileStatus.Failed);
            error = failed > 0 ? $"{failed} of {results.Count} files failed" : null;
        }

        run = run with
        {
            Status = status,
            FinishedAt = clock.GetUtcNow(),
            Files = done.Count,
            RowsLoaded = results.Sum(f => f.RowsLoaded),
            RowsQuarantined = results.Sum(f => f.RowsQuarantined),
            Error = error,
            Owner = null,
            FileResults = results,
        };
        await PersistAsync(() => runs.SaveAsync(run, CancellationToken.None), $"the outcome of run {run.RunId}", ct);
        logger.IngestionEvent(IngestionEvents.RunFinished,
            "{EventAction}: {TenantId} run {RunId} {RunStatus}: {Files} files, {RowsLoaded} rows loaded, {RowsQuarantined} quarantined in {EventDuration} ms{ErrorMessage}",
            IngestionEvents.RunFinished, run.Tenant, run.RunId, run.Status, run.Files, run.RowsLoaded, run.RowsQuarantined,
            (long)(run.FinishedAt!.Value - started).TotalMilliseconds, error is null ? "" : ": " + error);
        return run;
    }

    private async Task<string?> IngestAsync(RunRecord run, List<FileRecord> done, CancellationToken ct)
    {
        var agreement = await agreements.GetAsync(run.Tenant, ct);
        if (agreement is null)
        {
            return "the tenant has no service agreement, so retention is unknown; register one with PUT /tenants/{tenant}/agreement";
        }

        await scanner.ScanAsync(run.Tenant, IngestionMode.Batch, ct);
        var scope = (await datasets.ListAsync(run.Tenant, ct))
            .Where(d => d.Mode.HasFlag(IngestionMode.Batch) && (run.Dataset is null || d.Name == run.Dataset))
            .ToDictionary(d => d.Name);
        var waiting = (await files.ListAsync(run.Tenant, ct))
            .Where(f => scope.ContainsKey(f.Dataset) && ingestor.IsClaimable(f))
            .OrderBy(f => f.FileId, StringComparer.Ordinal)
            .ToList();
        if (waiting.Count == 0)
        {
            return null;
        }

        if (await QuotaReachedAsync(run.Tenant, ct) is { } quota)
        {
            return quota;
        }

        var claimed = new List<FileRecord>();
        foreach (var file in waiting)
        {
            if (await ingestor.TryClaimAsync(file, run.RunId, ct) is { } c)
            {
                claimed.Add(c);
            }
        }

        // The claims hold for the whole run: files wait for the app, then for the files before them.
        var held = new System.Collections.Concurrent.ConcurrentDictionary<string, FileRecord>(claimed.ToDictionary(f => f.FileId));
        using var keeping = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var keeper = ingestor.KeepClaimsAsync(() => held.Values.ToList(), keeping.Token);
        try
        {
            return await IngestClaimedAsync(run, agreement, scope, claimed, held, done, ct);
        }
        finally
        {
            await keeping.CancelAsync();
            await keeper;

            // A run that failed part-way gives back what it still holds: those files wait, staged, for the next run.
            foreach (var file in held.Values)
            {
                await PersistAsync(() => files.ReleaseAsync(file, "waiting: the run that claimed it failed", CancellationToken.None),
                    $"the release of file {file.FileId}", ct);
            }
        }
    }

    /// <summary>
    /// A write the run owes the catalog (its outcome, a claim given back): tried again with back-off until the store
    /// takes it, so that a full disk or an unreachable store delays it rather than leaves the run running for good.
    /// </summary>
    private async Task PersistAsync(Func<Task> write, string what, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await write();
                return;
            }
            catch (CoredmsException e) when (!ct.IsCancellationRequested)
            {
                if (attempt == 0)
                {
                    logger.LogError(e, "Could not record {What}; trying again until the store takes it", what);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(30_000, 250 << Math.Min(attempt, 7))), ct);
            }
        }
    }

    private async Task<string?> IngestClaimedAsync(RunRecord run, ServiceAgreement agreement, Dictionary<string, Dataset> scope, List<FileRecord> claimed,
        System.Collections.Concurrent.ConcurrentDictionary<string, FileRecord> held, List<FileRecord> done, CancellationToken ct)
    {
        var outputs = new Dictionary<string, string?>();
        if (agreement.BatchApp is { } app)
        {
            var failure = await RunAppAsync(run, agreement, app, claimed, outputs, ct);
            if (failure is not null)
            {
                foreach (var file in claimed)
                {
                    held.TryRemove(file.FileId, out _);
                    await files.ReleaseAsync(file, "not ingested: " + failure, CancellationToken.None);
                }

                return failure;
            }
        }

        for (var i = 0; i < claimed.Count; i++)
        {
            var file = claimed[i];
            if (i > 0 && await QuotaReachedAsync(run.Tenant, ct) is { } reached)
            {
                foreach (var rest in claimed.Skip(i))
                {
                    held.TryRemove(rest.FileId, out _);
                    await files.ReleaseAsync(rest, "waiting: " + reached, CancellationToken.None);
                }

                return reached;
            }

            held.TryRemove(file.FileId, out _);
            if (agreement.BatchApp is not null && outputs[file.FileId] is null)
            {
                var missing = file with { Status = FileStatus.Failed, Error = $"the batch app '{agreement.BatchApp.Name}' wrote no output for this file", FinishedAt = clock.GetUtcNow() };
                if (await files.FinishAsync(missing, CancellationToken.None))
                {
                    await quotas.FileIngestedAsync(file.Tenant, file.Bytes, 0, 0);
                }

                done.Add(missing);
                continue;
            }

            try
            {
                done.Add(await ingestor.IngestClaimedAsync(file, scope[file.Dataset], agreement.Retention, outputs.GetValueOrDefault(file.FileId), null, ct));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                held[file.FileId] = file;
                throw;
            }
        }

        return null;
    }

    private async Task<string?> RunAppAsync(RunRecord run, ServiceAgreement agreement, TenantApp app, List<FileRecord> claimed,
        Dictionary<string, string?> outputs, CancellationToken ct)
    {
        if (!options.Value.Apps.TryGetValue(app.Name, out var command))
        {
            return $"the agreement names the batch app '{app.Name}', which this platform does not provide (it provides: {string.Join(", ", options.Value.Apps.Keys)})";
        }

        var outcome = await apps.RunAsync(run.Tenant, run.RunId, app.Name, command, app.Timeout, (long)agreement.Resources.LimitMemory, ct);
        if (!outcome.Succeeded)
        {
            return $"the batch app '{app.Name}' failed: {outcome.Error}";
        }

        foreach (var file in claimed)
        {
            var output = Path.Combine(staging.Out(run.Tenant), file.Dataset, Path.GetFileName(file.Path));
            outputs[file.FileId] = File.Exists(output) ? Keep(run.Tenant, file.Dataset, output) : null;
        }

        return null;
    }

    /// <summary>Moves an app's output next to the processed input, so that <c>out</c> holds only new work.</summary>
    private string Keep(string tenant, string dataset, string output)
    {
        var folder = Path.Combine(staging.Processed(tenant), dataset, "app-output");
        Directory.CreateDirectory(folder);
        var target = Path.Combine(folder, Path.GetFileName(output));
        File.Move(output, target, overwrite: true);
        return target;
    }

    private async Task<string?> QuotaReachedAsync(string tenant, CancellationToken ct)
    {
        if (await quotas.RowsLeftAsync(tenant, ct) is not { } refusal)
        {
            return null;
        }

        logger.IngestionEvent(IngestionEvents.QuotaExceeded, "{EventAction}: {TenantId} reached {Quota} ({Used} of {Limit}); files stay staged until the quota allows",
            IngestionEvents.QuotaExceeded, tenant, refusal.Quota, refusal.Used, refusal.Limit);
        return refusal.Detail;
    }
}
