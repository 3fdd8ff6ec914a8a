using System.Text.Json.Nodes;
using Catalog.Datasets;
using Coredms;
using Ingestion.Lake;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.Tests.Lake;

/// <summary>
/// The stream spool takes a record once: a batch delivered again (whole, cut differently, after its rows were rolled
/// into the lake, or to a spool started again) adds no row twice to the lake, which DuckDB counts.
/// </summary>
public sealed class LakeStreamDedupTests
{
    private static (RowBatch Rows, List<RecordId> Ids) Batch(Dataset dataset, string source, int from, int to)
    {
        var rows = new RowBatch(dataset.Table, to - from + 1);
        var ids = new List<RecordId>();
        for (var i = from; i <= to; i++)
        {
            rows.SetValue(dataset.Table.IndexOf("sensor_id"), 7);
            rows.SetValue(dataset.Table.IndexOf("reading_id"), i);
            rows.SetValue(dataset.Table.IndexOf("date"), new DateOnly(2026, 3, 1));
            rows.SetValue(dataset.Table.IndexOf("time"), new TimeOnly(8, 0));
            rows.SetValue(dataset.Table.IndexOf("speed_kmh"), i / 10.0);
            rows.SetValue(dataset.Table.IndexOf("vehicle_class"), "car");
            rows.EndRow();
            ids.Add(new RecordId(source, i));
        }

        return (rows, ids);
    }

    private static async Task<Dataset> StreamDatasetWithALakeAsync(PlatformHost host, string tenant)
    {
        using var t = await host.TenantAsync(tenant);
        await t.RegisterAsync(tenant, Flows.StreamDatasetA().With("sinks", new JsonArray(new JsonObject { ["type"] = "lake" })), Flows.AgreementWithoutApp());
        return (await host.Services.GetRequiredService<DatasetCatalog>().GetAsync(tenant, "speed_tracking", CancellationToken.None))!;
    }

    [Fact]
    public async Task RecordsDeliveredAgainAreWrittenToTheLakeOnce()
    {
        await using var host = await PlatformHost.StartAsync(new Dictionary<string, string?> { ["Lake:RollSeconds"] = "1" });
        var dataset = await StreamDatasetWithALakeAsync(host, "lake_dedup");
        var streams = host.Services.GetRequiredService<LakeStreams>();
        var files = DuckDb.Files(Path.Combine(host.Home, "lake"), "lake_dedup", "speed_tracking");
        async Task<long> LakeRowsAsync(long atLeast)
        {
            await Eventually.UntilAsync(() => Task.FromResult(LakeTests.SpoolDrained(host.Home) && Directory.Exists(Path.Combine(host.Home, "lake", "lake_dedup"))
                && DuckDb.Long(DuckDb.Scalar($"select count(*) from {files}")) >= atLeast), $"the lake never had {atLeast} rows");
            return DuckDb.Long(DuckDb.Scalar($"select count(*) from {files}"));
        }

        // Delivered, then delivered again whole, then again cut differently (as a consumer restarted from an older offset would).
        foreach (var (from, to) in new[] { (1, 600), (1, 600), (400, 1000) })
        {
            var (rows, ids) = Batch(dataset, "file-1", from, to);
            await streams.AppendAsync(dataset, rows, ids, CancellationToken.None);
        }

        Assert.Equal(1000, await LakeRowsAsync(1000));

        // Again, after those rows were rolled and published, and to a spool started anew (reading what it kept on disk).
        var again = ActivatorUtilities.CreateInstance<LakeStreams>(host.Services);
        foreach (var spool in new[] { streams, again })
        {
            var (rows, ids) = Batch(dataset, "file-1", 1, 1000);
            await spool.AppendAsync(dataset, rows, ids, CancellationToken.None);
        }

        // Another source with the same positions is other records: they are taken.
        var (other, otherIds) = Batch(dataset, "file-2", 1, 10);
        await streams.AppendAsync(dataset, other, otherIds, CancellationToken.None);
        Assert.Equal(1010, await LakeRowsAsync(1010));
        Assert.Equal(1000, DuckDb.Long(DuckDb.Scalar($"select count(distinct reading_id) from {files}")));
        again.Dispose();
    }

    [Fact]
    public async Task SegmentsAStoppedProcessLeftAreRolledWhenTheSpoolStartsAgain()
    {
        await using var host = await PlatformHost.StartAsync(new Dictionary<string, string?> { ["Lake:RollSeconds"] = "1" });
        var dataset = await StreamDatasetWithALakeAsync(host, "lake_left");

        // Spooled by an instance that never runs its roller (as a process killed before rolling), then a new one starts.
        using (var stopped = ActivatorUtilities.CreateInstance<LakeStreams>(host.Services))
        {
            var (rows, ids) = Batch(dataset, "events-1", 1, 250);
            await stopped.AppendAsync(dataset, rows, ids, CancellationToken.None);
        }

        Assert.Single(Directory.GetFiles(Path.Combine(host.Home, "spool", "lake", "lake_left", "speed_tracking", "stream"), "*.seg"));
        using var started = ActivatorUtilities.CreateInstance<LakeStreams>(host.Services);
        await started.StartAsync(CancellationToken.None);
        var files = DuckDb.Files(Path.Combine(host.Home, "lake"), "lake_left", "speed_tracking");
        await Eventually.UntilAsync(() => Task.FromResult(LakeTests.SpoolDrained(host.Home) && Directory.Exists(Path.Combine(host.Home, "lake", "lake_left"))),
            "the segments left were never rolled");
        Assert.Equal(250, DuckDb.Long(DuckDb.Scalar($"select count(*) from {files}")));
        await started.StopAsync(CancellationToken.None);
    }
}
