using System.Collections.Concurrent;
using System.Diagnostics;
using Catalog.Datasets;
using Catalog.Files;
using Catalog.Usage;
using Ingestion.Claims;
using Ingestion.Pipeline;
using Ingestion.Staging;
using IngestionLog;
using Microsoft.Extensions.Options;
using StreamIngestManager.Publishing;

namespace StreamIngestManager.Tenants;

/// <summary>
/// Streams a tenant's files: a watcher on its staging folder plus a rescan every <see cref="StreamOptions.RescanSeconds"/>
/// (watchers can miss events) find complete files; each one the quota policy admits is claimed and streamed through the
/// transport in a slot the process's tenants share (<see cref="FileSlots"/>), at most
/// <see cref="StreamOptions.FilesInParallel"/> at a time. Every <see cref="ClaimSweep"/> the scan also looks
/// for files whose claim a stopped process abandoned.
/// </summary>
internal sealed class FileStreamer(string tenant, StagingScanner scanner, FileClaims claims, StagedFileIngestor ingestor, QuotaPolicy quotas,
    StreamPublisher publisher, StagingArea staging, FileSlots slots, BulkLane bulk, IOptions<StreamOptions> options, ILogger<FileStreamer> logger) : IDisposable
{
    private static readonly TimeSpan ClaimSweep = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _wake = new(0);
    private readonly SemaphoreSlim _slots = new(options.Value.FilesInParallel);
    private readonly ConcurrentDictionary<string, bool> _inFlight = new(StringComparer.Ordinal);
    private string? _waitingFor;

    public async Task RunAsync(CancellationToken ct)
    {
        using var watcher = Watch();
        var lastSweep = long.MinValue;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var sweep = lastSweep == long.MinValue || Stopwatch.GetElapsedTime(lastSweep) >= ClaimSweep;
                await ScanAsync(sweep, ct);
                lastSweep = sweep ? Stopwatch.GetTimestamp() : lastSweep;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Scanning the staging folders of {TenantId} failed", tenant);
            }

            try
            {
                await _wake.WaitAsync(TimeSpan.FromSeconds(options.Value.RescanSeconds), ct);
                while (_wake.CurrentCount > 0)
                {
                    await _wake.WaitAsync(ct);
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        // Files being streamed hold a slot until they finish (or notice the cancellation).
        for (var i = 0; i < options.Value.FilesInParallel; i++)
        {
            await _slots.WaitAsync(CancellationToken.None);
        }
    }

    /// <summary>Wakes the loop for a scan now (a dataset changed: resumed, registered again).</summary>
    public void ScanNow() => _wake.Release();

    private FileSystemWatcher Watch()
    {
        foreach (var folder in new[] { staging.In(tenant), staging.Out(tenant) })
        {
            Directory.CreateDirectory(folder);
        }

        var watcher = new FileSystemWatcher(staging.Tenant(tenant))
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName,
            InternalBufferSize = 64 * 1024,
        };
        watcher.Created += (_, e) => OnFileEvent(e.FullPath);
        watcher.Renamed += (_, e) => OnFileEvent(e.FullPath);
        watcher.Error += (_, _) => _wake.Release();
        watcher.EnableRaisingEvents = true;
        return watcher;
    }

    private void OnFileEvent(string path)
    {
        var relative = staging.Relative(tenant, path);
        if ((relative.StartsWith("in", StringComparison.Ordinal) || relative.StartsWith("out", StringComparison.Ordinal))
            && !StagingScanner.IsInProgress(Path.GetFileName(path)))
        {
            _wake.Release();
        }
    }

    /// <summary>One pass: stages new files and starts streaming each claimable one the quota policy admits.</summary>
    private async Task ScanAsync(bool withClaims, CancellationToken ct)
    {
        var candidates = (await scanner.ScanAsync(tenant, IngestionMode.Stream, withClaims, ct))
            .Where(c => claims.IsClaimable(c.Record) && !_inFlight.ContainsKey(c.Record.FileId)).ToList();
        if (candidates.Count == 0)
        {
            return;
        }

        var (agreement, refusal) = await quotas.AdmitAsync(tenant, ct);
        if (refusal is not null)
        {
            if (Waiting(refusal.Detail, candidates.Count) && refusal.Quota != QuotaRefusal.NoAgreement)
            {
                logger.IngestionEvent(IngestionEvents.QuotaExceeded, "{EventAction}: {TenantId} reached {Quota} ({Used} of {Limit}); files stay staged until the quota allows",
                    tenant, refusal.Quota, refusal.Used, refusal.Limit);
            }

            return;
        }

        _waitingFor = null;
        foreach (var candidate in candidates.Where(c => _inFlight.TryAdd(c.Record.FileId, true)))
        {
            _ = StreamFileAsync(candidate, agreement!.Retention, ct);
        }
    }

    private async Task StreamFileAsync(WaitingFile file, TimeSpan retention, CancellationToken ct)
    {
        IDisposable slot;
        try
        {
            await _slots.WaitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            _inFlight.TryRemove(file.Record.FileId, out _);
            return;
        }

        try
        {
            slot = await slots.AcquireAsync(tenant, ct);
        }
        catch (OperationCanceledException)
        {
            _slots.Release();
            _inFlight.TryRemove(file.Record.FileId, out _);
            return;
        }

        try
        {
            if (await claims.TryClaimAsync(file.Record, "stream", ct) is { } claimed)
            {
                Task Ingest() => ingestor.IngestClaimedAsync(claimed, file.Dataset, retention, null, publisher.SinkFor(file.Dataset, retention, claimed.FileId), ct);
                await (claimed.Bytes >= options.Value.BulkFileMb * 1024 * 1024 ? bulk.RunAsync(Ingest) : Ingest());
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping: the claim lapses and the file is taken again after a restart.
        }
        catch (Exception e)
        {
            logger.LogError(e, "Streaming {TenantId}/{Dataset} file {FileId} failed; it is retried when its claim lapses",
                tenant, file.Dataset.Name, file.Record.FileId);
        }
        finally
        {
            slot.Dispose();
            _slots.Release();
            _inFlight.TryRemove(file.Record.FileId, out _);
        }
    }

    /// <summary>Logs once why files wait; true when the reason is new.</summary>
    private bool Waiting(string reason, int files)
    {
        if (_waitingFor == reason)
        {
            return false;
        }

        _waitingFor = reason;
        logger.LogWarning("{Files} files of {TenantId} wait: {Reason}", files, tenant, reason);
        return true;
    }

    public void Dispose()
    {
        _wake.Dispose();
        _slots.Dispose();
    }
}
