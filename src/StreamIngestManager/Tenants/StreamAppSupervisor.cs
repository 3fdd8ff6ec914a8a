using Catalog.Agreements;
using Ingestion.Apps;
using Microsoft.Extensions.Options;

namespace StreamIngestManager.Tenants;

/// <summary>
/// Keeps the tenant's stream app running as its agreement says: started when the agreement names one, restarted with
/// back-off (1 s doubling to a minute) when it exits or is killed over its memory limit, restarted at once when the
/// agreement changes the app or its memory, stopped when the agreement drops it.
/// </summary>
internal sealed class StreamAppSupervisor(string tenant, TenantAppRunner apps, IOptions<AppsOptions> commands, ILogger<StreamAppSupervisor> logger) : IDisposable
{
    private readonly SemaphoreSlim _changed = new(0);
    private volatile TenantApp? _app;
    private volatile CancellationTokenSource? _running;
    private long _memoryLimit;

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
        _running?.Cancel();
        _changed.Release();
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            var app = _app;
            if (app is null)
            {
                await UntilChangedAsync(Timeout.InfiniteTimeSpan, ct);
                continue;
            }

            if (!commands.Value.Apps.TryGetValue(app.Name, out var command))
            {
                logger.LogError("The agreement of {TenantId} names the stream app '{AppName}', which this platform does not provide (it provides: {Apps})",
                    tenant, app.Name, string.Join(", ", commands.Value.Apps.Keys));
                await UntilChangedAsync(Timeout.InfiniteTimeSpan, ct);
                continue;
            }

            using var run = CancellationTokenSource.CreateLinkedTokenSource(ct);
            _running = run;
            if (_app != app)
            {
                continue;
            }

            var outcome = await apps.RunAsync(tenant, "stream", app.Name, command, null, Interlocked.Read(ref _memoryLimit), run.Token);
            _running = null;
            if (run.IsCancellationRequested)
            {
                failures = 0;
                continue;
            }

            failures = outcome.Took > TimeSpan.FromMinutes(1) ? 1 : failures + 1;
            var wait = TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, failures - 1)));
            logger.LogWarning("The stream app '{AppName}' of {TenantId} stopped ({AppResult}); it starts again in {Wait}",
                app.Name, tenant, outcome.Error ?? "it exited", wait);
            await UntilChangedAsync(wait, ct);
        }
    }

    /// <summary>Waits for the agreement to change, at most <paramref name="wait"/>.</summary>
    private async Task UntilChangedAsync(TimeSpan wait, CancellationToken ct)
    {
        try
        {
            await _changed.WaitAsync(wait, ct);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose() => _changed.Dispose();
}
