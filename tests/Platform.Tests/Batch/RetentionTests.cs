using System.Text.Json;
using BatchIngestManager.Retention;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.Tests.Batch;

public sealed class RetentionTests
{
    [Fact]
    public async Task RowsFilesAndRunsGoAwayAfterTheAgreementsRetention()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var host = await PlatformHost.StartAsync(clock: clock);
        using var t = await host.TenantAsync("keeper");
        await t.RegisterAsync("keeper", Flows.DatasetA(), Flows.AgreementWithoutApp().With("data_retention_period_days", 30));
        var fileId = await t.UploadAsync("keeper", "speed_tracking", "messy.csv", MessyFile.Build());
        await t.IngestAndWaitAsync("keeper", "speed_tracking");
        Assert.Equal(MessyFile.AsIs.DistinctRows, (await t.AllRowsAsync("keeper", "speed_tracking")).Count);
        var processed = Path.Combine(host.Home, "staging", "keeper", "processed", "speed_tracking", $"{fileId}__messy.csv");
        Assert.True(File.Exists(processed));

        clock.Advance(TimeSpan.FromDays(29));
        Assert.Equal(MessyFile.AsIs.DistinctRows, (await t.AllRowsAsync("keeper", "speed_tracking")).Count);

        clock.Advance(TimeSpan.FromDays(2));
        Assert.Empty(await t.AllRowsAsync("keeper", "speed_tracking"));
        Assert.Empty(await t.AllRowsAsync("keeper", "speed_tracking", "quarantine"));

        var (rows, files) = await host.Services.GetRequiredService<RetentionSweeper>().SweepAsync(default);
        Assert.True(rows >= MessyFile.AsIs.Loaded + MessyFile.AsIs.Quarantined - 1, $"swept {rows} rows");
        Assert.Equal(1, files);
        Assert.False(File.Exists(processed));
        Assert.Empty(JsonDocument.Parse(await t.GetStringAsync("/tenants/keeper/files")).RootElement.GetProperty("files").EnumerateArray());
        Assert.Empty(JsonDocument.Parse(await t.GetStringAsync("/tenants/keeper/runs")).RootElement.GetProperty("runs").EnumerateArray());
    }
}
