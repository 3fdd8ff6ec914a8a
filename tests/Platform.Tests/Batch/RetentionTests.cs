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
        await t.RegisterAsync("keeper", Flows.DatasetA().With("sinks", new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["type"] = "lake" })),
            Flows.AgreementWithoutApp().With("data_retention_period_days", 30));
        var fileId = await t.UploadAsync("keeper", "speed_tracking", "messy.csv", MessyFile.Build());
        await t.IngestAndWaitAsync("keeper", "speed_tracking");
        Assert.Equal(MessyFile.AsIs.DistinctRows, (await t.AllRowsAsync("keeper", "speed_tracking")).Count);
        var processed = Path.Combine(host.Home, "staging", "keeper", "processed", "speed_tracking", $"{fileId}__messy.csv");
        Assert.True(File.Exists(processed));
        await t.WaitForLakeAsync("keeper", fileId);
        var lake = Path.Combine(host.Home, "lake", "keeper");
        Assert.NotEmpty(Directory.GetFiles(lake, "*.parquet", SearchOption.AllDirectories));

        clock.Advance(TimeSpan.FromDays(29));
        Assert.Equal(MessyFile.AsIs.DistinctRows, (await t.AllRowsAsync("keeper", "speed_tracking")).Count);
        await host.Services.GetRequiredService<RetentionSweeper>().SweepAsync(default);
        Assert.NotEmpty(Directory.GetFiles(lake, "*.parquet", SearchOption.AllDirectories));

        clock.Advance(TimeSpan.FromDays(2));
        Assert.Empty(await t.AllRowsAsync("keeper", "speed_tracking"));
        Assert.Empty(await t.AllRowsAsync("keeper", "speed_tracking", "quarantine"));

        var (rows, files) = await host.Services.GetRequiredService<RetentionSweeper>().SweepAsync(default);
        Assert.True(rows >= MessyFile.AsIs.Loaded + MessyFile.AsIs.Quarantined - 1, $"swept {rows} rows");
        Assert.Equal(1, files);
        Assert.False(File.Exists(processed));
        Assert.False(Directory.Exists(lake) && Directory.GetFiles(lake, "*.parquet", SearchOption.AllDirectories).Length > 0, "the lake partition outlived the retention");
        Assert.Empty(JsonDocument.Parse(await t.GetStringAsync("/tenants/keeper/files")).RootElement.GetProperty("files").EnumerateArray());
        Assert.Empty(JsonDocument.Parse(await t.GetStringAsync("/tenants/keeper/runs")).RootElement.GetProperty("runs").EnumerateArray());
    }
}
