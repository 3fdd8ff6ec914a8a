using Coredms;
using Catalog.Agreements;
using Catalog.Datasets;
using Catalog.Files;
using Catalog.Runs;
using Catalog.Tenants;
using Quartz;

namespace BatchIngestManager.Scheduling;

/// <summary>
/// Keeps one Quartz trigger per tenant in line with its agreement's schedule: created on start, replaced when
/// the agreement changes. A trigger only requests a run; the run executor does the work. Misfires while the
/// scheduler runs fire once, late (not once per missed time); after downtime, a tenant with a file that
/// waited past a scheduled time gets one catch-up run on start.
/// </summary>
public sealed class ScheduleSync(
    ISchedulerFactory schedulers, AgreementCatalog agreements, TenantCatalog tenants, DatasetCatalog datasets, FileCatalog files, RunCatalog runs,
    DataClock clock, ILogger<ScheduleSync> logger) : IHostedService
{
    public const string Group = "tenant-schedules";

    public static JobKey JobOf(string tenant) => new(tenant, Group);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        foreach (var tenant in await tenants.ListAsync(cancellationToken))
        {
            if (await agreements.GetAsync(tenant.Id, cancellationToken) is { } agreement)
            {
                await ScheduleAsync(scheduler, agreement, cancellationToken);
                await CatchUpAsync(agreement, cancellationToken);
            }
        }

        agreements.Changed += OnChanged;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        agreements.Changed -= OnChanged;
        return Task.CompletedTask;
    }

    private void OnChanged(ServiceAgreement agreement) => _ = Task.Run(async () =>
    {
        try
        {
            await ScheduleAsync(await schedulers.GetScheduler(), agreement, CancellationToken.None);
        }
        catch (Exception e) when (e is SchedulerException or InvalidOperationException)
        {
            logger.LogError(e, "Could not reschedule {TenantId}", agreement.Tenant);
        }
    });

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
        if (missed && !(await runs.ListAsync(agreement.Tenant, ct)).Any(r => r.Status == RunStatus.Requested))
        {
            logger.LogInformation("{TenantId} missed a scheduled run while the platform was down; requesting one now", agreement.Tenant);
            await runs.RequestAsync(agreement.Tenant, null, "catch-up", ct);
        }
    }
}

/// <summary>A tenant's scheduled time came: request a run (the executor serialises runs per tenant).</summary>
[DisallowConcurrentExecution]
public sealed class ScheduledRunJob(RunCatalog runs) : IJob
{
    public const string TenantKey = "tenant";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        await runs.RequestOnceAsync(context.MergedJobDataMap.GetString(TenantKey)!, null, "schedule", cancellationToken);
    }
}
