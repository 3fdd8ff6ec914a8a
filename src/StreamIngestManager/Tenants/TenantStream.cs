using System.Collections.Concurrent;
using Catalog.Agreements;
using Catalog.Datasets;
using Catalog.Files;
using Catalog.Usage;
using Coredms;
using Ingestion.Apps;
using Ingestion.Pipeline;
using Ingestion.Staging;
using IngestionLog;
using Microsoft.Extensions.Options;
using StreamIngestManager.Consuming;
using StreamIngestManager.Publishing;
using StreamIngestManager.Transport;

namespace StreamIngestManager.Tenants;

/// <summary>
/// Everything that streams for one tenant, each in its own loop until disposed: the consumer (transport to
/// coredms), the file loop (a watcher on the tenant's staging folder plus a periodic rescan; each complete
/// file is claimed and streamed through the transport), and the tenant's stream app when its agreement names
/// one (kept running, restarted with back-off when it exits or is killed over its memory limit).
/// </summary>
internal sealed class TenantStream : IAsyncDisposable
{
    private static readonly TimeSpan SweepEvery = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan AwaitingRecordRescan = TimeSpan.FromMilliseconds(100);

    private readonly string _tenant;
    private readonly IStreamTransport _transport;
    private readonly DeliveryWriter _writer;
    private readonly StagingScanner _scanner;
    private readonly StagedFileIngestor _ingestor;
    private readonly StagingArea _staging;
    private readonly FileCatalog _files;
    private readonly DatasetCatalog _datasets;
    private readonly AgreementCatalog _agreements;
    private readonly QuotaPolicy _quotas;
    private readonly ICoredms _coredms;
    private readonly TenantAppRunner _apps;
    private readonly AppsOptions _appCommands;
    private readonly StreamOptions _options;
    private readonly DataClock _clock;
    private readonly ILogger<TenantStream> _logger;

    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _filesWake = new(0);
    private readonly SemaphoreSlim _appWake = new(0);
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<string, bool> _inFlight = new(StringComparer.Ordinal);
    private readonly List<Task> _loops = [];
    private FileSystemWatcher? _watcher;
    private volatile TenantApp? _app;
    private volatile CancellationTokenSource? _appRun;
    private long _memoryLimit;
    private string? _waitingFor;

    public TenantStream(string tenant, IStreamTransport transport, DeliveryWriter writer, StagingScanner scanner, StagedFileIngestor ingestor,
        StagingArea staging, FileCatalog files, DatasetCatalog datasets, AgreementCatalog agreements, QuotaPolicy quotas, ICoredms coredms,
        TenantAppRunner apps, IOptions<AppsOptions> appCommands, IOptions<StreamOptions> options, DataClock clock, ILogger<TenantStream> logger)
    {
        _tenant = tenant;
        _transport = transport;
        _writer = writer;
        _scanner = scanner;
        _ingestor = ingestor;
        _staging = staging;
        _files = files;
        _datasets = datasets;
        _agreements = agreements;
        _quotas = quotas;
        _coredms = coredms;
        _apps = apps;
        _appCommands = appCommands.Value;
        _options = options.Value;
        _clock = clock;
        _logger = logger;
        _slots = new SemaphoreSlim(_options.FilesInParallel);
    }

    public string Tenant => _tenant;

    public void Start()
    {
        var ct = _stop.Token;
        foreach (var folder in new[] { _staging.In(_tenant), _staging.Out(_tenant) })
        {
            Directory.CreateDirectory(folder);
        }

        _watcher = new FileSystemWatcher(_staging.Tenant(_tenant))
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName,
            InternalBufferSize = 64 * 1024,
        };
        _watcher.Created += (_, e) => OnFileEvent(e.FullPath);
        _watcher.Renamed += (_, e) => OnFileEvent(e.FullPath);
        _watcher.Error += (_, _) => _filesWake.Release();
        _watcher.EnableRaisingEvents = true;

        _loops.Add(Task.Run(() => ConsumeLoopAsync(ct), CancellationToken.None));
        _loops.Add(Task.Run(() => FilesLoopAsync(ct), CancellationToken.None));
        _loops.Add(Task.Run(() => AppLoopAsync(ct), CancellationToken.None));
    }

    /// <summary>Follows the tenant's agreement: starts, restarts or stops its stream app to match it.</summary>
    public void Follow(ServiceAgreement? agreement)
    {
        var app = agreement?.StreamApp;
        var memory = (long)(agreement?.Resources.LimitMemory ?? 0);
        if (app == _app && memory == Interlocked.Read(ref _memoryLimit))
        {
            return;
        }

        _app = app;
        Interlocked.Exchange(ref _memoryLimit, memory);
        _appRun?.Cancel();
        _appWake.Release();
    }

    private void OnFileEvent(string path)
    {
        var relative = _staging.Relative(_tenant, path);
        if ((relative.StartsWith("in", StringComparison.Ordinal) || relative.StartsWith("out", StringComparison.Ordinal))
            && !StagingScanner.IsInProgress(Path.GetFileName(path)))
        {
            _filesWake.Release();
        }
    }

    private async Task ConsumeLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _transport.ConsumeAsync(_tenant, _writer.WriteAsync, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _logger.LogError(e, "The stream consumer of {TenantId} stopped; it starts again in a second", _tenant);
                await Delay(TimeSpan.FromSeconds(1), ct);
            }
        }
    }

    private async Task FilesLoopAsync(CancellationToken ct)
    {
        var lastSweep = DateTimeOffset.MinValue;
        while (!ct.IsCancellationRequested)
        {
            var soon = false;
            try
            {
                var sweep = _clock.GetUtcNow() - lastSweep >= SweepEvery;
                soon = await ScanAsync(sweep, ct);
                lastSweep = sweep ? _clock.GetUtcNow() : lastSweep;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Scanning the staging folders of {TenantId} failed", _tenant);
            }

            try
            {
                await _filesWake.WaitAsync(soon ? AwaitingRecordRescan : TimeSpan.FromSeconds(_options.RescanSeconds), ct);
                while (_filesWake.CurrentCount > 0)
                {
                    await _filesWake.WaitAsync(ct);
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        // Files being streamed hold a slot until they finish (or notice the cancellation).
        for (var i = 0; i < _options.FilesInParallel; i++)
        {
            await _slots.WaitAsync(CancellationToken.None);
        }
    }

    /// <summary>One pass: registers new files and starts streaming each claimable one; true when a file waits for its record.</summary>
    private async Task<bool> ScanAsync(bool sweepCatalog, CancellationToken ct)
    {
        var scan = await _scanner.ScanAsync(_tenant, IngestionMode.Stream, ct);
        var agreement = await _agreements.GetAsync(_tenant, ct);
        if (agreement is null)
        {
            Waiting("it has no service agreement, so its retention is unknown: register one with PUT /tenants/{tenant}/agreement", scan.Files.Count);
            return scan.AwaitingRecords;
        }

        var candidates = scan.Files.ToList();
        if (sweepCatalog)
        {
            // A file claimed by a process that died was already moved out of the staging folder: find it in the catalog.
            var streaming = (await _datasets.ListAsync(_tenant, ct)).Where(d => d.Mode.HasFlag(IngestionMode.Stream)).ToDictionary(d => d.Name);
            candidates.AddRange((await _files.ListAsync(_tenant, ct))
                .Where(f => f.Status == FileStatus.Processing && streaming.ContainsKey(f.Dataset) && candidates.All(c => c.Record.FileId != f.FileId))
                .Select(f => new WaitingFile(f, streaming[f.Dataset])));
        }

        candidates = candidates.Where(c => _ingestor.IsClaimable(c.Record) && !_inFlight.ContainsKey(c.Record.FileId)).ToList();
        if (candidates.Count > 0 && await _quotas.RowsLeftAsync(_tenant, ct) is { } refusal)
        {
            if (Waiting($"it reached its rows_per_day quota ({refusal.Used} of {refusal.Limit})", candidates.Count))
            {
                _logger.IngestionEvent(IngestionEvents.QuotaExceeded, "{EventAction}: {TenantId} reached {Quota} ({Used} of {Limit}); files stay staged until the quota allows",
                    IngestionEvents.QuotaExceeded, _tenant, refusal.Quota, refusal.Used, refusal.Limit);
            }

            return scan.AwaitingRecords;
        }

        _waitingFor = null;
        foreach (var candidate in candidates.Where(c => _inFlight.TryAdd(c.Record.FileId, true)))
        {
            _ = StreamFileAsync(candidate, agreement.Retention, ct);
        }

        return scan.AwaitingRecords;
    }

    private async Task StreamFileAsync(WaitingFile file, TimeSpan retention, CancellationToken ct)
    {
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
            if (await _ingestor.TryClaimAsync(file.Record, "stream", ct) is { } claimed)
            {
                var sink = new TransportSink(_transport, _coredms, file.Dataset, retention, claimed.FileId);
                await _ingestor.IngestClaimedAsync(claimed, file.Dataset, retention, null, sink, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping: the claim lapses and the file is taken again after a restart.
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Streaming {TenantId}/{Dataset} file {FileId} failed; it is retried when its claim lapses",
                _tenant, file.Dataset.Name, file.Record.FileId);
        }
        finally
        {
            _slots.Release();
            _inFlight.TryRemove(file.Record.FileId, out _);
        }
    }

    /// <summary>Logs once why files wait; true when the reason is new.</summary>
    private bool Waiting(string reason, int files)
    {
        if (files == 0 || _waitingFor == reason)
        {
            return false;
        }

        _waitingFor = reason;
        _logger.LogWarning("{Files} files of {TenantId} wait: {Reason}", files, _tenant, reason);
        return true;
    }

    private async Task AppLoopAsync(CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            var app = _app;
            if (app is null)
            {
                await WaitForAgreementAsync(ct);
                continue;
            }

            if (!_appCommands.Apps.TryGetValue(app.Name, out var command))
            {
                _logger.LogError("The agreement of {TenantId} names the stream app '{AppName}', which this platform does not provide (it provides: {Apps})",
                    _tenant, app.Name, string.Join(", ", _appCommands.Apps.Keys));
                await WaitForAgreementAsync(ct);
                continue;
            }

            using var run = CancellationTokenSource.CreateLinkedTokenSource(ct);
            _appRun = run;
            if (_app != app)
            {
                continue;
            }

            var outcome = await _apps.RunAsync(_tenant, "stream", app.Name, command, null, Interlocked.Read(ref _memoryLimit), run.Token);
            _appRun = null;
            if (ct.IsCancellationRequested || run.IsCancellationRequested)
            {
                failures = 0;
                continue;
            }

            failures = outcome.Took > TimeSpan.FromMinutes(1) ? 1 : failures + 1;
            var wait = TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, failures - 1)));
            _logger.LogWarning("The stream app '{AppName}' of {TenantId} stopped ({AppResult}); it starts again in {Wait}",
                app.Name, _tenant, outcome.Error ?? "it exited", wait);
            await Task.WhenAny(Delay(wait, ct), _appWake.WaitAsync(ct));
        }
    }

    private async Task WaitForAgreementAsync(CancellationToken ct)
    {
        try
        {
            await _appWake.WaitAsync(ct);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task Delay(TimeSpan wait, CancellationToken ct)
    {
        try
        {
            await Task.Delay(wait, ct);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _watcher?.Dispose();
        await Task.WhenAll(_loops);
        _stop.Dispose();
        _slots.Dispose();
        _filesWake.Dispose();
        _appWake.Dispose();
    }
}
