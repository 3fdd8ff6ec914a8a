using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Catalog.Agreements;
using Catalog.Datasets;
using Catalog.Files;
using Catalog.Logs;
using Catalog.Runs;
using Catalog.Usage;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.Tests.Api;

/// <summary>An admin deletes a tenant: nothing of it is left, its tokens die, and its id can be used again from scratch.</summary>
public sealed class TenantDeletionTests : IAsyncLifetime
{
    private PlatformHost _host = null!;

    public async Task InitializeAsync() => _host = await PlatformHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private T Service<T>()
        where T : notnull => _host.Services.GetRequiredService<T>();

    [Fact]
    public async Task ADeletedTenantLeavesNothingBehind()
    {
        using var admin = await _host.AdminAsync();
        using var t = await _host.TenantAsync("leaving");
        await t.RegisterAsync("leaving", Flows.DatasetA(), Flows.AgreementWithoutApp());
        await t.UploadAsync("leaving", "speed_tracking", "readings.csv", File.ReadAllBytes(Repo.Path("schemas", "examples", "client_a", "readings.csv")));
        var run = await t.IngestAndWaitAsync("leaving", "speed_tracking");
        Assert.Equal("partially_succeeded", run.GetProperty("status").GetString());
        await WaitForLogAsync(admin, "/admin/logs?tenant=leaving&action=run.finished");
        var keyspace = Path.Combine(_host.Home, "coredms", "t7_leaving_tracking.db");
        Assert.True(File.Exists(keyspace));

        var unconfirmed = await admin.DeleteAsync("/tenants/leaving");
        Assert.Equal(HttpStatusCode.BadRequest, unconfirmed.StatusCode);
        Assert.Equal("confirm", (await unconfirmed.ReadJsonAsync()).GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await t.DeleteAsync("/tenants/leaving?confirm=leaving")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/tenants/leaving?confirm=leaving")).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await t.GetAsync("/tenants/leaving/files")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/tenants/leaving/files")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync("/tenants/leaving?confirm=leaving")).StatusCode);
        Assert.False(File.Exists(keyspace));
        Assert.False(Directory.Exists(Path.Combine(_host.Home, "staging", "leaving")));
        var none = CancellationToken.None;
        Assert.Empty(await Service<DatasetCatalog>().ListAsync("leaving", none));
        Assert.Null(await Service<AgreementCatalog>().GetAsync("leaving", none));
        Assert.Empty(await Service<FileCatalog>().ListAsync("leaving", none));
        Assert.Empty(await Service<RunCatalog>().ListAsync("leaving", none));
        var ledger = Service<UsageLedger>();
        Assert.Equal(DayUsage.None, await ledger.DayAsync("leaving", ledger.Today, none));
        Assert.Equal(0, await ledger.StagedBytesAsync("leaving", none));
        Assert.Empty((await Service<LogCatalog>().QueryAsync(new LogQuery("leaving", null, null, null, null, null, 100), none)).Events);

        // The id can be taken again, and the new tenant starts empty.
        var again = await (await admin.PostAsJsonAsync("/tenants", new { id = "leaving" })).ReadJsonAsync();
        using var fresh = _host.WithToken(await _host.TokenAsync("leaving", again.GetProperty("client_secret").GetString()!));
        var datasets = JsonDocument.Parse(await fresh.GetStringAsync("/tenants/leaving/datasets")).RootElement.GetProperty("datasets");
        Assert.Equal(0, datasets.GetArrayLength());
        Assert.Equal(0, JsonDocument.Parse(await fresh.GetStringAsync("/tenants/leaving/files")).RootElement.GetProperty("files").GetArrayLength());
    }

    private static Task WaitForLogAsync(HttpClient admin, string url) =>
        Eventually.UntilAsync(async () => JsonDocument.Parse(await admin.GetStringAsync(url)).RootElement.GetProperty("events").GetArrayLength() > 0,
            "the run's events never reached the log");
}
