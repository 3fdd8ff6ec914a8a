using BatchIngestManager.Retention;
using BatchIngestManager.Runs;
using BatchIngestManager.Scheduling;
using Ingestion;
using Quartz;

namespace BatchIngestManager;

public static class BatchIngestManagerServiceCollectionExtensions
{
    /// <summary>Registers the batch ingest manager: schedules, the run executor, tenant apps, retention; the host it joins runs them.</summary>
    public static IServiceCollection AddBatchIngestManager(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BatchOptions>()
            .Bind(configuration.GetSection(BatchOptions.Section))
            .Validate(o => o.PollSeconds >= 1, "Batch:PollSeconds must be at least 1")
            .Validate(o => o.MaxParallelTenants >= 1, "Batch:MaxParallelTenants must be at least 1")
            .Validate(o => o.RetentionSweepMinutes >= 1, "Batch:RetentionSweepMinutes must be at least 1")
            .ValidateOnStart();
        services.AddIngestion(configuration);
        services.AddLakePublisher();
        services.AddSingleton<BatchRun>();
        services.AddSingleton<BatchAppStep>();
        services.AddSingleton<RunRecovery>();
        services.AddSingleton<RetentionSweeper>();
        // Quartz keeps schedulers in a process-wide repository by name, so each host gets its own. Quartz runs
        // on the container's TimeProvider (real time); the platform's data runs on DataClock.
        services.AddQuartz(new System.Collections.Specialized.NameValueCollection { ["quartz.scheduler.instanceName"] = "mysimbdp-batch-" + Guid.NewGuid().ToString("N") },
            _ => { });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = false);
        services.AddHostedService<RunExecutor>();
        services.AddHostedService<ScheduleSync>();
        services.AddHostedService(sp => sp.GetRequiredService<RetentionSweeper>());
        return services;
    }
}
