using Catalog.Agreements;

namespace Platform.Tests.CatalogTests;

public sealed class CronScheduleTests
{
    [Theory]
    [InlineData("*/15 * * * *", "0 0,15,30,45 * * * ?")]
    [InlineData("0 9 * * 1-5", "0 0 9 ? * 2,3,4,5,6")]
    [InlineData("0 0 * * 0,7", "0 0 0 ? * 1")]
    [InlineData("30 2 1 * *", "0 30 2 1 * ?")]
    [InlineData("0 12 * JAN,jul SUN", "0 0 12 ? 1,7 1")]
    [InlineData("5-10/2 */6 * * *", "0 5,7,9 0,6,12,18 * * ?")]
    [InlineData("@daily", "0 0 0 * * ?")]
    [InlineData("@hourly", "0 0 * * * ?")]
    [InlineData("@weekly", "0 0 0 ? * 1")]
    [InlineData("* * * * *", "0 * * * * ?")]
    [InlineData("0 0 */2 * *", "0 0 0 1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31 * ?")]
    public void FiveFieldCronBecomesTheEquivalentQuartzExpression(string cron, string quartz)
    {
        Assert.True(CronSchedule.TryParse(cron, out var schedule, out var error), error);
        Assert.Equal(quartz, schedule!.ToQuartz());
    }

    [Theory]
    [InlineData("", "has 0 fields")]
    [InlineData("* * * *", "has 4 fields")]
    [InlineData("60 * * * *", "60 is outside 0-59")]
    [InlineData("* 24 * * *", "24 is outside 0-23")]
    [InlineData("* * 0 * *", "0 is outside 1-31")]
    [InlineData("* * * 13 *", "13 is outside 1-12")]
    [InlineData("* * * * 8", "8 is outside 0-7")]
    [InlineData("5-1 * * * *", "goes backwards")]
    [InlineData("*/x * * * *", "step 'x'")]
    [InlineData("0 0 15 * FRI", "restricts both day of month and day of week")]
    public void InvalidSchedulesSayWhatIsWrong(string cron, string fragment)
    {
        Assert.False(CronSchedule.TryParse(cron, out _, out var error));
        Assert.Contains(fragment, error);
    }
}
