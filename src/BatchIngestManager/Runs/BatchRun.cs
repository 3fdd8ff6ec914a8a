using System.Collections.Concurrent;
using Catalog.Agreements;
using Catalog.Datasets;
using Catalog.Files;
using Catalog.Runs;
using Catalog.Usage;
using Coredms;
using Ingestion.Claims;
using Ingestion.Pipeline;
using Ingestion.Staging;
using IngestionLog;

namespace BatchIngestManager.Runs;

/// <summary>
/// Executes one batch run of a tenant: claims the files the scan finds waiting for its batch datasets, lets the
/// tenant's app (if the agreement names one) turn <c>in</c> into <c>out</c>, then ingests each file (or the app's
/// output for it), and records the outcome. Stops between files once the quota policy says no more, leaving the
/// rest staged; a run that fails part-way gives back the files it still holds.
/// <para>
/// A run answers for the files that were waiting when it was requested, not only for those it claimed: a file that
/// another run (a scheduled one that started first, say) was already ingesting is waited for while that claim lives,
/// and reported with <see cref="RunFile.IngestedBy"/>, as is one that such a run finished before this one started.
/// So <c>upload</c> then <c>ingest --wait</c> tells what became of the upload whichever run took it.
/// </para>
/// </summary>
public sealed class BatchRun(RunCatalog runs, QuotaPolicy quotas, StagingScanner scanner, FileClaims claims, StagedFileIngestor ingestor, BatchAppStep app,
    FileCatalog files, DatasetCatalog datasets, DataClock clock, ILogger<BatchRun> logger)
{
    public async Task<RunRecord> ExecuteAsync(RunRecord run, CancellationToken ct)
    {
        logger.IngestionEvent(IngestionEvents.RunStarted, "{EventAction}: {TenantId} run {RunId} ({Trigger}) for {Dataset}",
            run.Tenant, run.RunId, run.Trigger, run.Dataset ?? "every batch dataset");
        var started = clock.GetUtcNow();
        run = run with { Status = RunStatus.Running, StartedAt = started };
        string? error;
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
        if (error is null)
        {
            results.AddRange(await TakenByOthersAsync(run, results, ct));
        }

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
            Files = results.Count,
            RowsLoaded = results.Sum(f => f.RowsLoaded),
            RowsQuarantined = results.Sum(f => f.RowsQuarantined),
            Error = error,
            Owner = null,
            FileResults = results,
        };
        await PersistAsync(() => runs.FinishAsync(run, CancellationToken.None), $"the outcome of run {run.RunId}", ct);
        logger.IngestionEvent(IngestionEvents.RunFinished,
            "{EventAction}: {TenantId} run {RunId} {RunStatus}: {Files} files ({FilesOfOtherRuns} ingested by other runs), {RowsLoaded} rows loaded, {RowsQuarantined} quarantined in {EventDuration} ms{ErrorMessage}",
            run.Tenant, run.RunId, run.Status, run.Files, results.Count(f => f.IngestedBy is not null), run.RowsLoaded, run.RowsQuarantined,
            (long)(run.FinishedAt!.Value - started).TotalMilliseconds, error is null ? "" : ": " + error);
        return run;
    }

    /// <summary>Ingests what the run covers; returns why it stopped short, or null when it ran through.</summary>
    private async Task<string?> IngestAsync(RunRecord run, List<FileRecord> done, CancellationToken ct)
    {
        var (agreement, refusal) = await quotas.AdmitAsync(run.Tenant, ct);
        if (refusal?.Quota == QuotaRefusal.NoAgreement)
        {
            return refusal.Detail;
        }

        var waiting = (await scanner.ScanAsync(run.Tenant, IngestionMode.Batch, withClaims: true, ct))
            .Where(w => (run.Dataset is null || w.Dataset.Name == run.Dataset) && claims.IsClaimable(w.Record))
            .ToList();
        if (waiting.Count == 0)
        {
            return null;
        }

        if (refusal is not null)
        {
            return Reached(run.Tenant, refusal);
        }

        var claimed = new List<WaitingFile>();
        foreach (var file in waiting)
        {
            if (await claims.TryClaimAsync(file.Record, run.RunId, ct) is { } record)
            {
                claimed.Add(file with { Record = record });
            }
        }

        // The claims hold for the whole run: files wait for the app, then for the files before them.
        var held = new ConcurrentDictionary<string, FileRecord>(claimed.ToDictionary(f => f.Record.FileId, f => f.Record));
        using var keeping = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var keeper = claims.KeepAsync(() => held.Values.ToList(), keeping.Token);
        try
        {
            return await IngestClaimedAsync(run, agreement!, claimed, held, done, ct);
        }
        finally
        {
            await keeping.CancelAsync();
            await keeper;

            // A run that failed part-way gives back what it still holds: those files wait, staged, for the next run.
            foreach (var file in held.Values)
            {
                await PersistAsync(() => claims.ReleaseAsync(file, "waiting: the run that claimed it failed"), $"the release of file {file.FileId}", ct);
            }
        }
    }

    private async Task<string?> IngestClaimedAsync(RunRecord run, ServiceAgreement agreement, List<WaitingFile> claimed, ConcurrentDictionary<string, FileRecord> held,
        List<FileRecord> done, CancellationToken ct)
    {
        IReadOnlyDictionary<string, string?> outputs = new Dictionary<string, string?>();
        if (agreement.BatchApp is { } batchApp)
        {
            var step = await app.RunAsync(run, agreement, batchApp, claimed.Select(f => f.Record).ToList(), ct);
            if (step.Failure is not null)
            {
                await GiveBackAsync(claimed, held, "not ingested: " + step.Failure);
                return step.Failure;
            }

            outputs = step.Outputs;
        }

        for (var i = 0; i < claimed.Count; i++)
        {
            var (file, dataset) = (claimed[i].Record, claimed[i].Dataset);
            if (i > 0 && (await quotas.AdmitAsync(run.Tenant, ct)).Refusal is { } refusal)
            {
                var reached = Reached(run.Tenant, refusal);
                await GiveBackAsync(claimed.Skip(i), held, "waiting: " + reached);
                return reached;
            }

            held.TryRemove(file.FileId, out _);
            if (agreement.BatchApp is not null && outputs[file.FileId] is null)
            {
                done.Add(await ingestor.FailAsync(file, $"the batch app '{agreement.BatchApp.Name}' wrote no output for this file"));
                continue;
            }

            try
            {
                done.Add(await ingestor.IngestClaimedAsync(file, dataset, agreement.Retention, outputs.GetValueOrDefault(file.FileId), null, ct));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                held[file.FileId] = file;
                throw;
            }
        }

        return null;
    }

    /// <summary>
    /// The files of the run's batch datasets that were waiting when it was requested and that other runs took: once
    /// none of them is still being ingested under a live claim (a claim that lapses or is given back is not waited
    /// for), those finished since the request, each marked with who ingested it.
    /// </summary>
    private async Task<List<RunFile>> TakenByOthersAsync(RunRecord run, List<RunFile> own, CancellationToken ct)
    {
        try
        {
            return await WaitForOthersAsync(run, own, ct);
        }
        catch (CoredmsException e)
        {
            logger.LogWarning(e, "Run {RunId} of {TenantId} could not read which of its files other runs ingested; it reports its own", run.RunId, run.Tenant);
            return [];
        }
    }

    private async Task<List<RunFile>> WaitForOthersAsync(RunRecord run, List<RunFile> own, CancellationToken ct)
    {
        var batch = (await datasets.ListAsync(run.Tenant, ct)).Where(d => d.Mode.HasFlag(IngestionMode.Batch) && (run.Dataset is null || d.Name == run.Dataset))
            .Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        var mine = own.Select(f => f.FileId).ToHashSet(StringComparer.Ordinal);
        var others = (await files.ListAsync(run.Tenant, ct)).Where(f => batch.Contains(f.Dataset) && f.ReceivedAt <= run.RequestedAt
            && f.RunId is { } by && by != run.RunId && !mine.Contains(f.FileId) && (f.Status == FileStatus.Processing || f.FinishedAt >= run.RequestedAt)).ToList();
        while (others.Find(f => f.Status == FileStatus.Processing && !claims.IsClaimable(f)) is { } busy)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), clock, ct);
            others.Remove(busy);
            if (await files.GetAsync(run.Tenant, busy.FileId, ct) is { } now)
            {
                others.Add(now);
            }
        }

        return others.Where(f => f.FinishedAt >= run.RequestedAt && f.Status is FileStatus.Loaded or FileStatus.PartiallyLoaded or FileStatus.Failed)
            .OrderBy(f => f.FileId, StringComparer.Ordinal).Select(f => RunFile.From(f) with { IngestedBy = f.RunId }).ToList();
    }

    private async Task GiveBackAsync(IEnumerable<WaitingFile> files, ConcurrentDictionary<string, FileRecord> held, string reason)
    {
        foreach (var file in files)
        {
            held.TryRemove(file.Record.FileId, out _);
            await claims.ReleaseAsync(file.Record, reason);
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

    private string Reached(string tenant, QuotaRefusal refusal)
    {
        logger.IngestionEvent(IngestionEvents.QuotaExceeded, "{EventAction}: {TenantId} reached {Quota} ({Used} of {Limit}); files stay staged until the quota allows",
            tenant, refusal.Quota, refusal.Used, refusal.Limit);
        return refusal.Detail;
    }
}
