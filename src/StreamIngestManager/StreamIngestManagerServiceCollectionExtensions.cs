namespace StreamIngestManager;

public static class StreamIngestManagerServiceCollectionExtensions
{
    /// <summary>Registers the stream ingest manager; the host it joins runs it.</summary>
    public static IServiceCollection AddStreamIngestManager(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddHostedService<StreamWatcher>();
        return services;
    }
}

/// <summary>The stream manager's watcher (watching comes with near-real-time ingestion).</summary>
internal sealed class StreamWatcher(ILogger<StreamWatcher> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("Stream ingest manager started");
        return Task.CompletedTask;
    }
}
