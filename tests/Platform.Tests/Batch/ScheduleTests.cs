using System.Text.Json;
using BatchIngestManager.Scheduling;
using Catalog.Agreements;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace Platform.Tests.Batch;

public sealed class ScheduleTests
{
    [Fact]
    public async Task ATenantsScheduleRunsItsStagedFiles()
    {
        await using var host = await PlatformHost.StartAsync();
        using var t = await host.TenantAsync("scheduled");
        await t.RegisterAsync("scheduled", Flows.DatasetA(), Flows.AgreementWithoutApp().With("schedule", "* * * * *"));
        var fileId = await t.UploadAsync("scheduled", "speed_tracking", "a.csv", MessyFile.Build());

        var deadline = DateTime.UtcNow.AddSeconds(90);
        JsonElement? run = null;
        while (run is null && DateTime.UtcNow < deadline)
        {
            run = JsonDocument.Parse(await t.GetStringAsync("/tenants/scheduled/runs")).RootElement.GetProperty("runs").EnumerateArray()
                .Cast<JsonElement?>().FirstOrDefault(r => r!.Value.GetProperty("trigger").GetString() == "schedule" && r.Value.GetProperty("status").GetString() == "partially_succeeded");
            await Task.Delay(200);
        }

        Assert.True(run is not null, "no scheduled run finished within 90 s");
        Assert.Equal("partially_loaded", (await t.FileAsync("scheduled", fileId)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task ChangingTheAgreementReplacesTheTrigger()
    {
        await using var host = await PlatformHost.StartAsync();
        using var t = await host.TenantAsync("rescheduled");
        await t.RegisterAsync("rescheduled", Flows.DatasetA(), Flows.AgreementWithoutApp().With("schedule", "0 3 * * *"));
        var scheduler = await host.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        async Task<string?> Cron()
        {
            for (var i = 0; i < 100; i++)
            {
                if (await scheduler.GetTrigger(new TriggerKey("rescheduled", ScheduleSync.Group)) is ICronTrigger trigger)
                {
                    return trigger.CronExpressionString;
                }

                await Task.Delay(20);
            }

            return null;
        }

        Assert.Equal("0 0 3 * * ?", await Cron());
        await t.PutAsync("/tenants/rescheduled/agreement", Repo.Body(Flows.AgreementWithoutApp().With("client", "rescheduled").With("schedule", "*/30 9-17 * * 1-5")));
        for (var i = 0; i < 100 && await Cron() != "0 0,30 9,10,11,12,13,14,15,16,17 ? * 2,3,4,5,6"; i++)
        {
            await Task.Delay(20);
        }

        Assert.Equal("0 0,30 9,10,11,12,13,14,15,16,17 ? * 2,3,4,5,6", await Cron());
        var triggers = await scheduler.GetTriggersOfJob(ScheduleSync.JobOf("rescheduled"));
        Assert.Single(triggers);
        Assert.Equal(CronTriggerMisfireInstruction.FireAndProceed, ((ICronTrigger)triggers.Single()).MisfireInstruction);
    }

    [Theory]
    [InlineData("*/15 * * * *")]
    [InlineData("0 9 * * 1-5")]
    [InlineData("30 2 1 * *")]
    [InlineData("@weekly")]
    public void ConvertedSchedulesAreValidQuartzExpressionsWithTheSameNextTimes(string cron)
    {
        Assert.True(CronSchedule.TryParse(cron, out var schedule, out _));
        var quartz = new CronExpression(schedule!.ToQuartz(), TimeZoneInfo.Utc);
        var from = new DateTimeOffset(2026, 3, 2, 10, 7, 0, TimeSpan.Zero);
        var next = quartz.GetNextValidTimeAfter(from)!.Value;
        Assert.True(next > from);
        Assert.Equal(0, next.Second);
    }

    [Fact]
    public async Task AFileThatWaitedPastAScheduledTimeWhileThePlatformWasDownGetsOneCatchUpRun()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var host = await PlatformHost.StartAsync(clock: clock);
        using var t = await host.TenantAsync("sleepy");
        await t.RegisterAsync("sleepy", Flows.DatasetA(), Flows.AgreementWithoutApp().With("schedule", "0 3 * * *"));
        var fileId = await t.UploadAsync("sleepy", "speed_tracking", "a.csv", MessyFile.Build());

        clock.Advance(TimeSpan.FromDays(1));
        await host.RestartAsync();
        using var again = host.WithToken(await host.TokenAsync("admin", PlatformHost.AdminSecret));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await again.FileAsync("sleepy", fileId)).GetProperty("status").GetString() is "staged" or "processing" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        var runs = JsonDocument.Parse(await again.GetStringAsync("/tenants/sleepy/runs")).RootElement.GetProperty("runs").EnumerateArray().ToList();
        var run = Assert.Single(runs);
        Assert.Equal("catch-up", run.GetProperty("trigger").GetString());
        Assert.Equal("partially_loaded", (await again.FileAsync("sleepy", fileId)).GetProperty("status").GetString());
    }
}
