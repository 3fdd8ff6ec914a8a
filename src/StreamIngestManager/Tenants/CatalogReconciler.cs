using Microsoft.Extensions.Options;

namespace StreamIngestManager.Tenants;

/// <summary>
/// A loop that brings what runs in this process in line with the catalog: at start, whenever <see cref="Wake"/> is
/// called (a change made in this process), and every <see cref="StreamOptions.RescanSeconds"/> (changes made in
/// another). A failed look is logged and tried again at the next one; on stop, everything started is stopped.
/// </summary>
internal abstract class CatalogReconciler(IOptions<StreamOptions> options, ILogger logger, string what) : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0);

    protected StreamOptions Options => options.Value;

    protected ILogger Logger => logger;

    /// <summary>Looks again now.</summary>
    protected void Wake() => _wake.Release();

    /// <summary>Starts following the catalog's change events.</summary>
    protected abstract void Subscribe();

    protected abstract void Unsubscribe();

    protected abstract Task ReconcileAsync(CancellationToken ct);

    /// <summary>Stops everything the looks started.</summary>
    protected abstract Task StopAllAsync();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Subscribe();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await ReconcileAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogError(e, "Could not bring {What} in line with the catalog", what);
                }

                try
                {
                    await _wake.WaitAsync(TimeSpan.FromSeconds(options.Value.RescanSeconds), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        finally
        {
            Unsubscribe();
            await StopAllAsync();
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }
}
