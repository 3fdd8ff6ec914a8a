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

        // Within the next minute, whole minutes being what "* * * * *" selects.
        await Eventually.UntilAsync(async () => JsonDocument.Parse(await t.GetStringAsync("/tenants/scheduled/runs")).RootElement.GetProperty("runs").EnumerateArray()
                .Any(r => r.GetProperty("trigger").GetString() == "schedule" && r.GetProperty("status").GetString() == "partially_succeeded"),
            "no scheduled run finished within 90 s", TimeSpan.FromSeconds(90));
        Assert.Equal("partially_loaded", (await t.FileAsync("scheduled", fileId)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task ChangingTheAgreementReplacesTheTrigger()
    {
        await using var host = await PlatformHost.StartAsync();
        using var t = await host.TenantAsync("rescheduled");
        await t.RegisterAsync("rescheduled", Flows.DatasetA(), Flows.AgreementWithoutApp().With("schedule", "0 3 * * *"));
        var scheduler = await host.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();
        async Task<string?> Cron() => (await scheduler.GetTrigger(new TriggerKey("rescheduled", ScheduleSync.Group)) as ICronTrigger)?.CronExpressionString;
        Task<string?> CronBecomes(string expected) => Eventually.UntilAsync(Cron, cron => cron == expected, cron => $"the trigger is {cron}, not {expected}");

        await CronBecomes("0 0 3 * * ?");
        await t.PutAsync("/tenants/rescheduled/agreement", Repo.Body(Flows.AgreementWithoutApp().With("client", "rescheduled").With("schedule", "*/30 9-17 * * 1-5")));
        await CronBecomes("0 0,30 9,10,11,12,13,14,15,16,17 ? * 2,3,4,5,6");
        var triggers = await scheduler.GetTriggersOfJob(ScheduleSync.JobOf("rescheduled"));
        Assert.Single(triggers);
        Assert.Equal(CronTriggerMisfireInstruction.FireAndProceed, ((ICronTrigger)triggers.Single()).MisfireInstruction);
    }

    [Theory]
    [InlineData("*/15 * * * *")]
    [InlineData("0 9 * * 1-5")]
    [InlineData("30 2 1 * *")]
    [InlineData("5,35 */6 * 2-4 0")]
    [InlineData("@weekly")]
    public void ConvertedSchedulesAreValidQuartzExpressionsWithTheSameNextTimes(string cron)
    {
        Assert.True(CronSchedule.TryParse(cron, out var schedule, out _));
        var quartz = new CronExpression(schedule!.ToQuartz(), TimeZoneInfo.Utc);

        // The next 30 times from Quartz, against the minutes a plain reading of the five fields selects.
        var fields = (cron == "@weekly" ? "0 0 * * 0" : cron).Split(' ');
        var from = new DateTimeOffset(2026, 1, 30, 10, 7, 0, TimeSpan.Zero);
        var expected = new List<DateTimeOffset>();
        for (var minute = from.AddMinutes(1); expected.Count < 30; minute = minute.AddMinutes(1))
        {
            if (Matches(fields[0], minute.Minute, 0) && Matches(fields[1], minute.Hour, 0) && Matches(fields[2], minute.Day, 1)
                && Matches(fields[3], minute.Month, 1) && Matches(fields[4], (int)minute.DayOfWeek, 0))
            {
                expected.Add(minute);
            }
        }

        var actual = new List<DateTimeOffset>();
        for (var at = from; actual.Count < 30; )
        {
            at = quartz.GetNextValidTimeAfter(at)!.Value;
            actual.Add(at);
        }

        Assert.Equal(expected, actual);
    }

    /// <summary>Whether a cron field (*, n, a-b, */s, a-b/s, lists of them) selects a value; the day fields' '*' is 'any'.</summary>
    private static bool Matches(string field, int value, int lowest) => field.Split(',').Any(part =>
    {
        var (range, step) = part.Split('/') is [var r, var s] ? (r, int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)) : (part, 1);
        var (low, high) = range == "*" ? (lowest, 59)
            : range.Split('-') is [var a, var b] ? (int.Parse(a, System.Globalization.CultureInfo.InvariantCulture), int.Parse(b, System.Globalization.CultureInfo.InvariantCulture))
            : (int.Parse(range, System.Globalization.CultureInfo.InvariantCulture), step > 1 ? 59 : int.Parse(range, System.Globalization.CultureInfo.InvariantCulture));
        return value >= low && value <= high && (value - low) % step == 0;
    });

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
        await Eventually.UntilAsync(async () => (await again.FileAsync("sleepy", fileId)).GetProperty("status").GetString() is not ("staged" or "processing"),
            "the missed run never ingested the file");

        var runs = JsonDocument.Parse(await again.GetStringAsync("/tenants/sleepy/runs")).RootElement.GetProperty("runs").EnumerateArray().ToList();
        var run = Assert.Single(runs);
        Assert.Equal("catch-up", run.GetProperty("trigger").GetString());
        Assert.Equal("partially_loaded", (await again.FileAsync("sleepy", fileId)).GetProperty("status").GetString());
    }
}
