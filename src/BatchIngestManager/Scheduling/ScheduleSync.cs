using Coredms;
using Catalog.Agreements;
using Catalog.Datasets;
using Catalog.Files;
using Catalog.Runs;
using Catalog.Usage;
using Microsoft.Extensions.Options;
using Quartz;

namespace BatchIngestManager.Scheduling;

/// <summary>
/// Keeps one Quartz trigger per tenant in line with its agreement's schedule: it looks at every tenant's agreement
/// when it starts, whenever an agreement changes in this process, and every <c>Batch:ReconcileSeconds</c> for changes
/// made by other processes (the API in cluster mode); a trigger is replaced when its schedule changed and removed when
/// the agreement (or the tenant) is gone. A trigger only requests a run; the run executor does the work. Misfires
/// while the scheduler runs fire once, late (not once per missed time); after downtime, a tenant with a file that
/// waited past a scheduled time gets one catch-up run on start.
/// </summary>
public sealed class ScheduleSync(
    ISchedulerFactory schedulers, AgreementCatalog agreements, DatasetCatalog datasets, FileCatalog files, RunCatalog runs,
    IOptions<BatchOptions> options, DataClock clock, ILogger<ScheduleSync> logger) : BackgroundService
{
    public const string Group = "tenant-schedules";

    private readonly SemaphoreSlim _wake = new(0);

    public static JobKey JobOf(string tenant) => new(tenant, Group);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        agreements.Changed += OnChanged;
        try
        {
            var starting = true;
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await ReconcileAsync(catchUp: starting, stoppingToken);
                    starting = false;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogError(e, "Could not bring the schedules in line with the agreements");
                }

                await _wake.WaitAsync(TimeSpan.FromSeconds(options.Value.ReconcileSeconds), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            agreements.Changed -= OnChanged;
        }
    }

    private void OnChanged(ServiceAgreement agreement) => _wake.Release();

    private async Task ReconcileAsync(bool catchUp, CancellationToken ct)
    {
        var scheduler = await schedulers.GetScheduler(ct);
        var scheduled = (await scheduler.GetTriggerKeys(GroupMatcher<TriggerKey>.GroupEquals(Group), ct)).Select(k => k.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var agreement in await agreements.ListAsync(ct))
        {
            scheduled.Remove(agreement.Tenant);
            var cron = agreement.Schedule.ToQuartz();
            if ((await scheduler.GetTrigger(new TriggerKey(agreement.Tenant, Group), ct) as ICronTrigger)?.CronExpressionString != cron)
            {
                await ScheduleAsync(scheduler, agreement, ct);
                logger.LogInformation("Scheduled {TenantId}'s runs at '{Schedule}' (Quartz '{QuartzSchedule}', UTC)", agreement.Tenant, agreement.Schedule.Expression, cron);
            }

            if (catchUp)
            {
                await CatchUpAsync(agreement, ct);
            }
        }

        foreach (var gone in scheduled)
        {
            await scheduler.DeleteJob(JobOf(gone), ct);
            logger.LogInformation("Unscheduled {TenantId}: it has no agreement any more", gone);
        }
    }

    /// <summary>Creates or replaces the tenant's trigger (UTC; seconds prepended, Quartz style).</summary>
    public static async Task ScheduleAsync(IScheduler scheduler, ServiceAgreement agreement, CancellationToken ct)
    {
        var job = JobBuilder.Create<ScheduledRunJob>()
            .WithIdentity(JobOf(agreement.Tenant))
            .UsingJobData(ScheduledRunJob.TenantKey, agreement.Tenant)
            .Build();
        var trigger = TriggerBuilder.Create()
            .WithIdentity(agreement.Tenant, Group)
            .ForJob(job)
            .WithCronSchedule(agreement.Schedule.ToQuartz(), cron => cron.InTimeZone(TimeZoneInfo.Utc).WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed))
            .Build();
        await scheduler.ScheduleJob(job, new List<ITrigger> { trigger }, ScheduleJobOptions.Replacing, ct);
    }

    /// <summary>One run for a tenant whose staged batch files should already have been picked up by a scheduled run.</summary>
    private async Task CatchUpAsync(ServiceAgreement agreement, CancellationToken ct)
    {
        var cron = new CronExpression(agreement.Schedule.ToQuartz(), TimeZoneInfo.Utc);
        var now = clock.GetUtcNow();
        var batch = (await datasets.ListAsync(agreement.Tenant, ct)).Where(d => d.Mode.HasFlag(IngestionMode.Batch)).Select(d => d.Name).ToHashSet();
        var missed = (await files.ListAsync(agreement.Tenant, ct))
            .Any(f => f.Status == FileStatus.Staged && batch.Contains(f.Dataset) && cron.GetNextValidTimeAfter(f.ReceivedAt) <= now);
        if (missed && (await runs.RequestOnceAsync(agreement.Tenant, null, "catch-up", QuotaPolicy.MaxWaitingRuns, ct)) is { Reused: false })
        {
            logger.LogInformation("{TenantId} missed a scheduled run while the platform was down; requested one now", agreement.Tenant);
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }
}

/// <summary>A tenant's scheduled time came: request a run (the executor serialises runs per tenant).</summary>
[DisallowConcurrentExecution]
public sealed class ScheduledRunJob(RunCatalog runs) : IJob
{
    public const string TenantKey = "tenant";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        await runs.RequestOnceAsync(context.MergedJobDataMap.GetString(TenantKey)!, null, "schedule", QuotaPolicy.MaxWaitingRuns, cancellationToken);
    }
}
