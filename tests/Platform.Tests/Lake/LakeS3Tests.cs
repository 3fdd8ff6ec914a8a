using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Tests.Batch;

namespace Platform.Tests.Lake;

/// <summary>The lake in an S3-compatible store (npm s3rver on loopback), read back through the S3 API by clients that are not the platform's.</summary>
public sealed class LakeS3Tests
{
    private static JsonObject WithLake(string compression) =>
        Flows.DatasetA().With("sinks", new JsonArray(new JsonObject { ["type"] = "lake", ["partition_by"] = "date", ["compression"] = compression }));

    private static byte[] Readings(int sensor, int rows)
    {
        var csv = new StringBuilder(MessyFile.Header + "\n");
        for (var i = 1; i <= rows; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{sensor},{i},2026-03-{1 + (i % 5):D2},08:{i % 60:D2}:00,{i % 120}.5,{(i % 3 == 0 ? "" : "2")},truck,{(i % 4 == 0 ? "" : "h" + i)}\n");
        }

        return Encoding.UTF8.GetBytes(csv.ToString());
    }

    [Fact]
    public async Task AnS3LakeHoldsEveryRowOnceForTwoReadersAndEachTenantOnlyItsOwnPrefix()
    {
        await using var s3 = await S3rverStore.StartAsync();
        await using var host = await PlatformHost.StartAsync(s3.Settings);
        using var a = await host.TenantAsync("s3_a");
        using var b = await host.TenantAsync("s3_b");
        await a.RegisterAsync("s3_a", WithLake("zstd"), Flows.AgreementWithoutApp());
        await b.RegisterAsync("s3_b", WithLake("gzip"), Flows.AgreementWithoutApp());
        var fileA = await a.UploadAsync("s3_a", "speed_tracking", "a.csv", Readings(1, 3000));
        var fileB = await b.UploadAsync("s3_b", "speed_tracking", "b.csv", Readings(2, 700));
        await a.IngestAndWaitAsync("s3_a", "speed_tracking");
        await b.IngestAndWaitAsync("s3_b", "speed_tracking");
        await a.WaitForLakeAsync("s3_a", fileA);
        await b.WaitForLakeAsync("s3_b", fileB);

        var copy = await s3.DownloadAsync("s3_a/");
        try
        {
            // DuckDB: the same rows as the rows API, once each, in the partitions of 'date'.
            var api = (await a.AllRowsAsync("s3_a", "speed_tracking")).ToDictionary(r => r.GetProperty("reading_id").GetInt32());
            // (Read without Hive partitioning: the dataset's own 'date' field shares its name with the partition's.)
            var files = DuckDb.Files(copy, "s3_a", "speed_tracking").Replace("hive_partitioning = true", "hive_partitioning = false, filename = true");
            var counts = Assert.Single(DuckDb.Query(
                $"select count(*), count(distinct reading_id), sum(speed_kmh), count(distinct date), bool_and(contains(filename, '/date=' || strftime(date, '%Y-%m-%d') || '/hour=00/')) from {files}"));
            Assert.Equal((3000L, 3000L, 5L, true), (DuckDb.Long(counts[0]), DuckDb.Long(counts[1]), DuckDb.Long(counts[3]), (bool)counts[4]!));
            Assert.Equal(api.Values.Sum(r => r.GetProperty("speed_kmh").GetDouble()), (double)counts[2]!, 6);

            // hyparquet, a second reader nobody here wrote: every row and its values, nulls included.
            var parquet = Directory.EnumerateFiles(copy, "*.parquet", SearchOption.AllDirectories).ToArray();
            var read = JsonDocument.Parse(S3rverStore.Oracles.Node("hyparquet.js", parquet, "")).RootElement;
            var rows = read.GetProperty("rows").EnumerateArray().ToList();
            Assert.Equal(3000, rows.Count);
            foreach (var row in rows)
            {
                var expected = api[row.GetProperty("reading_id").GetInt32()];
                Assert.Equal(1, row.GetProperty("sensor_id").GetInt32());
                Assert.Equal(expected.GetProperty("speed_kmh").GetDouble(), row.GetProperty("speed_kmh").GetDouble());
                Assert.Equal(expected.GetProperty("lane").ValueKind == JsonValueKind.Null, row.GetProperty("lane").ValueKind == JsonValueKind.Null);
                Assert.Equal(expected.GetProperty("plate_hash").ValueKind == JsonValueKind.Null ? null : expected.GetProperty("plate_hash").GetString(),
                    row.GetProperty("plate_hash").ValueKind == JsonValueKind.Null ? null : row.GetProperty("plate_hash").GetString());
                Assert.Equal("truck", row.GetProperty("vehicle_class").GetString());
            }

            var schema = read.GetProperty("schema").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
            Assert.Equal(("REQUIRED", "OPTIONAL"), (schema["reading_id"].GetProperty("repetition").GetString(), schema["lane"].GetProperty("repetition").GetString()));
            Assert.Equal("DATE", schema["date"].GetProperty("logical").GetString());
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }

        // Each tenant's files are below its own prefix, and the platform shows a tenant nothing else.
        using var client = s3.Client();
        var keys = ((await client.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = S3rverStore.Bucket })).S3Objects ?? []).Select(o => o.Key).ToList();
        Assert.All(keys, k => Assert.True(k.StartsWith("s3_a/speed_tracking/date=", StringComparison.Ordinal) || k.StartsWith("s3_b/speed_tracking/date=", StringComparison.Ordinal), k));
        var listingB = JsonDocument.Parse(await b.GetStringAsync("/tenants/s3_b/datasets/speed_tracking/lake")).RootElement;
        Assert.Equal("s3_b/speed_tracking/", listingB.GetProperty("prefix").GetString());
        Assert.Equal(keys.Count(k => k.StartsWith("s3_b/", StringComparison.Ordinal)), listingB.GetProperty("files").GetInt32());
        Assert.Equal(HttpStatusCode.Forbidden, (await b.GetAsync("/tenants/s3_a/datasets/speed_tracking/lake")).StatusCode);
    }

    [Fact]
    public async Task TheStoreDownHoldsCoredmsBackInNothingAndTheLakeCatchesUpWithNothingLostOrDoubled()
    {
        await using var s3 = await S3rverStore.StartAsync();
        await using var host = await PlatformHost.StartAsync(s3.Settings);
        using var t = await host.TenantAsync("s3_down");
        await t.RegisterAsync("s3_down", WithLake("snappy"), Flows.AgreementWithoutApp());
        await s3.StopAsync();

        var ids = new List<string>();
        for (var f = 1; f <= 3; f++)
        {
            ids.Add(await t.UploadAsync("s3_down", "speed_tracking", $"f{f}.csv", Readings(f, 4000)));
            Assert.Equal("succeeded", (await t.IngestAndWaitAsync("s3_down", "speed_tracking")).GetProperty("status").GetString());
        }

        Assert.Equal(12_000, (await t.AllRowsAsync("s3_down", "speed_tracking")).Count);
        foreach (var id in ids)
        {
            var lake = (await Eventually.UntilAsync(() => t.FileAsync("s3_down", id), f => f.GetProperty("sinks").GetProperty("lake").GetProperty("attempts").GetInt32() >= 2,
                f => $"the lake write was not retried: {f}")).GetProperty("sinks").GetProperty("lake");
            Assert.Equal("retrying", lake.GetProperty("status").GetString());
        }

        await s3.StartAgainAsync();
        foreach (var id in ids)
        {
            await t.WaitForLakeAsync("s3_down", id);
        }

        var copy = await s3.DownloadAsync("s3_down/");
        try
        {
            var counts = Assert.Single(DuckDb.Query($"select count(*), count(distinct (sensor_id, reading_id)) from {DuckDb.Files(copy, "s3_down", "speed_tracking")}"));
            Assert.Equal((12_000L, 12_000L), (DuckDb.Long(counts[0]), DuckDb.Long(counts[1])));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }
}
