namespace BatchIngestManager;

public static class BatchIngestManagerServiceCollectionExtensions
{
    /// <summary>Registers the batch ingest manager; the host it joins runs it.</summary>
    public static IServiceCollection AddBatchIngestManager(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddHostedService<BatchScheduler>();
        return services;
    }
}

/// <summary>The batch manager's scheduler (schedules come with batch ingestion).</summary>
internal sealed class BatchScheduler(ILogger<BatchScheduler> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("Batch ingest manager started");
        return Task.CompletedTask;
    }
}
