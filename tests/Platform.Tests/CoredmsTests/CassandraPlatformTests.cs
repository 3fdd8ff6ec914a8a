using System.Net;
using System.Text;
using CqlStandIn;
using Platform.Tests.Batch;

namespace Platform.Tests.CoredmsTests;

/// <summary>
/// The platform with <c>Coredms:Engine=cassandra</c> on the stand-in cluster: its catalog in
/// <c>mysimbdp_platform</c>, tenants' keyspaces, claims, runs, the ingestion log and the rows API all go
/// through the Cassandra engine and the project's CQL client.
/// </summary>
public sealed class CassandraPlatformTests : IAsyncDisposable
{
    private readonly StandInCluster _cluster = StandInCluster.Start();

    internal static Dictionary<string, string?> Settings(string contactPoints) => new()
    {
        ["Coredms:Engine"] = "cassandra",
        ["Coredms:Cassandra:ContactPoints"] = contactPoints,
        ["Coredms:Cassandra:ReplicationFactor"] = "1",
    };

    /// <summary>The messy seed file through a batch run: the same rows and quarantine as on SQLite (also run by the live suite).</summary>
    internal static async Task BatchIngestionAsync(string contactPoints)
    {
        await using var host = await PlatformHost.StartAsync(Settings(contactPoints));
        var tenant = "cass_" + Guid.NewGuid().ToString("N")[..8];
        using var t = await host.TenantAsync(tenant);
        await t.RegisterAsync(tenant, Flows.DatasetA(), Flows.AgreementWithoutApp());
        await t.UploadAsync(tenant, "speed_tracking", "messy.csv", MessyFile.Build());
        var run = await t.IngestAndWaitAsync(tenant, "speed_tracking", TimeSpan.FromMinutes(2));
        Assert.Equal("partially_succeeded", run.GetProperty("status").GetString());
        Assert.Equal(MessyFile.AsIs.DistinctRows, (await t.AllRowsAsync(tenant, "speed_tracking")).Count);
        Assert.Equal(MessyFile.AsIs.Quarantined, (await t.AllRowsAsync(tenant, "speed_tracking", "quarantine")).Count);

        // A paging state Cassandra did not issue is the caller's mistake: 400 naming it, on both listings.
        await t.AssertBadQueryAsync($"/tenants/{tenant}/datasets/speed_tracking/rows?paging_state=bm90LWEtc3RhdGU", "paging_state");
        await t.AssertBadQueryAsync($"/tenants/{tenant}/datasets/speed_tracking/quarantine?paging_state=junk", "paging_state");
    }

    /// <summary>A paused dataset's pause and resume through the catalog's conditional updates on Cassandra.</summary>
    [Fact]
    public async Task APausedDatasetKeepsItsFilesUntilItIsResumed()
    {
        await using var host = await PlatformHost.StartAsync(Settings(_cluster.ContactPoint));
        await Api.PauseTests.PausedBatchAsync(host);
    }

    /// <summary>
    /// storage_mb on Cassandra counts a keyspace by its size estimates, which Cassandra refreshes every few minutes:
    /// rows written since the last refresh are not counted yet (the usage says 0 MB right after a load), and once the
    /// estimates catch up the quota holds (the same file again would pass the limit, and is refused).
    /// </summary>
    [Fact]
    public async Task StorageMbCountsRowsOnceCassandrasSizeEstimatesCatchUp()
    {
        var clusterClock = new ManualClock(DateTimeOffset.UtcNow);
        await using var cluster = StandInCluster.Start(clock: clusterClock);
        await using var host = await PlatformHost.StartAsync(Settings(cluster.ContactPoint));
        using var t = await host.TenantAsync("cass_storage");
        await t.RegisterAsync("cass_storage", Flows.DatasetA(), Flows.AgreementWithoutApp().With("quotas", new System.Text.Json.Nodes.JsonObject { ["storage_mb"] = 3 }));
        var file = Streaming.StreamIngestionTests.Readings(1, 50_000);
        Assert.InRange(file.Length, 2 * 1024 * 1024, 3 * 1024 * 1024);

        await t.UploadAsync("cass_storage", "speed_tracking", "a.csv", file);
        Assert.Equal("succeeded", (await t.IngestAndWaitAsync("cass_storage", "speed_tracking")).GetProperty("status").GetString());
        Assert.Equal(0, await StorageMbUsedAsync(t));

        clusterClock.Advance(cluster.Data.SizeEstimatesRefresh + TimeSpan.FromSeconds(1));
        Assert.InRange(await StorageMbUsedAsync(t), 1, 3);
        var refused = await t.PostAsync("/tenants/cass_storage/datasets/speed_tracking/files", new MultipartFormDataContent { { new ByteArrayContent(file), "file", "b.csv" } });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
        Assert.Equal("storage_mb", (await refused.ReadJsonAsync()).GetProperty("quota").GetString());
    }

    private static async Task<int> StorageMbUsedAsync(HttpClient t) => System.Text.Json.JsonDocument.Parse(await t.GetStringAsync("/tenants/cass_storage/usage"))
        .RootElement.GetProperty("quotas").GetProperty("storage_mb").GetProperty("used").GetInt32();

    [Fact]
    public async Task ABatchRunIngestsTheMessyFile()
    {
        await BatchIngestionAsync(_cluster.ContactPoint);
        Assert.Empty(_cluster.Data.Warnings);
    }

    /// <summary>
    /// Cassandra stamps a lightweight transaction with its own clock and a plain write with the client's: rows that
    /// lightweight transactions change (files, runs, locks) must never also be written plainly, or a clock a
    /// little off on either side lets an older write shadow a newer one.
    /// </summary>
    [Theory]
    [InlineData(-2)]
    [InlineData(2)]
    public async Task ABatchRunIsRightWhenCassandrasClockIsSecondsOffThePlatforms(int seconds)
    {
        _cluster.Data.ClockOffset = TimeSpan.FromSeconds(seconds);
        await BatchIngestionAsync(_cluster.ContactPoint);
    }

    [Fact]
    public async Task StreamedEventsAreReadableAndTheCatalogSurvivesARestart()
    {
        var settings = Settings(_cluster.ContactPoint);
        await using var host = await PlatformHost.StartAsync(settings);
        string token;
        using (var t = await host.TenantAsync("cass_stream"))
        {
            token = t.DefaultRequestHeaders.Authorization!.Parameter!;
            await t.RegisterAsync("cass_stream", Flows.StreamDatasetA(), Flows.AgreementWithoutApp());
            var events = string.Join('\n', Enumerable.Range(1, 300).Select(i =>
                $$"""{"sensor_id": {{i % 7}}, "reading_id": {{i}}, "date": "2026-03-01", "time": "08:00:00", "speed_kmh": 50, "vehicle_class": "car"}"""));
            var response = await t.PostAsync("/tenants/cass_stream/datasets/speed_tracking/events", new StringContent(events, Encoding.UTF8, "application/x-ndjson"));
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
            await t.WaitForRowsAsync("cass_stream", "speed_tracking", 300);
        }

        // The cluster forgets its prepared statements (as when Cassandra restarts): the platform's session is told
        // UNPREPARED and prepares them again.
        _cluster.ForgetPrepared();
        using (var t = host.WithToken(token))
        {
            Assert.Equal(300, (await t.AllRowsAsync("cass_stream", "speed_tracking")).Count);
        }

        Assert.True(_cluster.UnpreparedAnswers > 0);

        // The platform restarts: the tenant, its dataset and its rows are in Cassandra.
        await host.RestartAsync();
        using var again = host.WithToken(token);
        Assert.Equal(HttpStatusCode.OK, (await again.GetAsync("/tenants/cass_stream/datasets/speed_tracking")).StatusCode);
        var rows = await again.AllRowsAsync("cass_stream", "speed_tracking");
        Assert.Equal(Enumerable.Range(1, 300), rows.Select(r => r.GetProperty("reading_id").GetInt32()).Order());
        Assert.Empty(_cluster.Data.Warnings);
    }

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();
}
