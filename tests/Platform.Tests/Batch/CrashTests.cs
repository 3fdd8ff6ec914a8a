using System.Text;
using System.Text.Json;
using Coredms;
using Coredms.Sqlite;
using Microsoft.Extensions.Options;

namespace Platform.Tests.Batch;

/// <summary>
/// The platform killed (SIGKILL) in the middle of ingesting a large file, then started again: the file is
/// re-claimed, and in the end the table holds exactly the right rows and the file is loaded once, with exact counts.
/// </summary>
public sealed class CrashTests
{
    private const int Rows = 500_000;
    private const int BadEvery = 10_000;

    private static string BuildFile(string folder)
    {
        var path = Path.Combine(folder, "big.csv");
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        writer.Write(MessyFile.Header + "\n");
        for (var i = 1; i <= Rows; i++)
        {
            writer.Write(i % 1000);
            writer.Write(',');
            writer.Write(i);
            writer.Write(i % BadEvery == 0 ? ",2026-03-01,08:00:00,-1,1,car,p\n" : ",2026-03-01,08:00:00,51.5,1,car,p\n");
        }

        return path;
    }

    /// <summary>The dataset also has a lake sink, its files cut every 100,000 rows, so that the kill finds lake files in the spool, some finished, one being written.</summary>
    [Fact]
    public async Task KillingThePlatformMidFileLosesAndDoublesNothing()
    {
        var home = Directory.CreateTempSubdirectory("mysimbdp-crash-").FullName;
        var lake = new Dictionary<string, string> { ["Lake__RollRows"] = "100000" };
        try
        {
            var file = BuildFile(home);
            string fileId;
            var lakeFiles = 0;
            await using (var first = await ChildHost.StartAsync(home, lake))
            {
                using var admin = await first.AdminAsync();
                Assert.True((await admin.PostAsync("/tenants", Repo.Body(new System.Text.Json.Nodes.JsonObject { ["id"] = "crash" }))).IsSuccessStatusCode);
                await admin.RegisterAsync("crash", Flows.DatasetA().With("sinks", new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["type"] = "lake" })),
                    Flows.AgreementWithoutApp());
                await using (var content = File.OpenRead(file))
                {
                    var upload = await admin.PostAsync("/tenants/crash/datasets/speed_tracking/files", new MultipartFormDataContent { { new StreamContent(content), "file", "big.csv" } });
                    fileId = (await upload.ReadJsonAsync()).GetProperty("file_id").GetString()!;
                }

                Assert.Equal(System.Net.HttpStatusCode.Accepted, (await admin.PostAsync("/tenants/crash/datasets/speed_tracking/ingest", null)).StatusCode);
                await Eventually.UntilAsync(async () =>
                    {
                        var rows = JsonDocument.Parse(await admin.GetStringAsync("/tenants/crash/datasets/speed_tracking/rows?limit=1")).RootElement.GetProperty("rows");
                        var status = (await admin.FileAsync("crash", fileId)).GetProperty("status").GetString();
                        Assert.True(status is "staged" or "processing", $"the file is {status} before the kill: the file is too small to catch it midway");
                        var spool = Path.Combine(home, "spool", "lake");
                        return rows.GetArrayLength() > 0 && status == "processing" && Directory.Exists(spool)
                            && Directory.EnumerateFiles(spool, "*.parquet", SearchOption.AllDirectories).Any();
                    },
                    "the ingestion was never seen in progress", every: TimeSpan.FromMilliseconds(10));
                first.Kill();
            }

            await using (var second = await ChildHost.StartAsync(home, lake))
            {
                using var admin = await second.AdminAsync();
                var runs = await Eventually.UntilAsync(
                    async () => JsonDocument.Parse(await admin.GetStringAsync("/tenants/crash/runs")).RootElement.GetProperty("runs").EnumerateArray()
                        .Select(r => (r.GetProperty("trigger").GetString(), r.GetProperty("status").GetString())).ToList(),
                    seen => seen.Any(r => r.Item1 == "recovery" && r.Item2 is "succeeded" or "partially_succeeded" or "failed"),
                    seen => "the recovery run did not finish: " + string.Join(", ", seen));
                Assert.Contains(("manual", "failed"), runs);
                Assert.Contains(("recovery", "partially_succeeded"), runs);
                var after = await admin.FileAsync("crash", fileId);
                Assert.Equal("partially_loaded", after.GetProperty("status").GetString());
                Assert.Equal(Rows, after.GetProperty("rows_read").GetInt64());
                Assert.Equal(Rows - (Rows / BadEvery), after.GetProperty("rows_loaded").GetInt64());
                Assert.Equal(Rows / BadEvery, after.GetProperty("rows_quarantined").GetInt64());
                Assert.Single(JsonDocument.Parse(await admin.GetStringAsync("/tenants/crash/files")).RootElement.GetProperty("files").EnumerateArray());
                lakeFiles = (await admin.WaitForLakeAsync("crash", fileId)).GetProperty("sinks").GetProperty("lake").GetProperty("files").GetInt32();
            }

            var (keys, quarantined) = await CountAsync(Path.Combine(home, "coredms"));
            Assert.Equal(Rows - (Rows / BadEvery), keys);
            Assert.Equal(Rows / BadEvery, quarantined);

            // The lake, read by DuckDB: every loaded row once, in the whole files the file's record counts (cut at 100,000 rows) and nothing else.
            var inLake = Assert.Single(Lake.DuckDb.Query($"select count(*), count(distinct (sensor_id, reading_id)), count(distinct filename) from {Lake.DuckDb.Files(Path.Combine(home, "lake"), "crash", "speed_tracking").Replace("hive_partitioning = true", "filename = true")}"));
            Assert.True(lakeFiles >= 2, $"{lakeFiles} lake files: the files were not cut by rows");
            Assert.Equal((Rows - (Rows / BadEvery), Rows - (Rows / BadEvery), (long)lakeFiles), (Lake.DuckDb.Long(inLake[0]), Lake.DuckDb.Long(inLake[1]), Lake.DuckDb.Long(inLake[2])));
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(home, "lake"), ".*", SearchOption.AllDirectories));
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public async Task KillingThePlatformMidReplaceKeepsTheOldRowsUntilTheFileIsLoadedAgainWhole()
    {
        var home = Directory.CreateTempSubdirectory("mysimbdp-crash-").FullName;
        try
        {
            var file = BuildFile(home);
            string fileId;
            // Claims renewed every ~170 ms, each renewal recording the rows read so far: the sign the new table is filling.
            await using (var first = await ChildHost.StartAsync(home, new Dictionary<string, string> { ["Claims__LeaseSeconds"] = "1" }))
            {
                using var admin = await first.AdminAsync();
                Assert.True((await admin.PostAsync("/tenants", Repo.Body(new System.Text.Json.Nodes.JsonObject { ["id"] = "crash" }))).IsSuccessStatusCode);
                await admin.RegisterAsync("crash", Flows.DatasetA(), Flows.AgreementWithoutApp());
                await admin.UploadAsync("crash", "speed_tracking", "readings.csv", File.ReadAllBytes(Repo.Path("schemas", "examples", "client_a", "readings.csv")));
                await admin.IngestAndWaitAsync("crash", "speed_tracking");
                var old = (await admin.AllRowsAsync("crash", "speed_tracking")).Count;
                await using (var content = File.OpenRead(file))
                {
                    var upload = await admin.PostAsync("/tenants/crash/datasets/speed_tracking/files?mode=replace", new MultipartFormDataContent { { new StreamContent(content), "file", "big.csv" } });
                    fileId = (await upload.ReadJsonAsync()).GetProperty("file_id").GetString()!;
                }

                // While the new table fills, readers still get exactly the old rows.
                Assert.Equal(System.Net.HttpStatusCode.Accepted, (await admin.PostAsync("/tenants/crash/datasets/speed_tracking/ingest", null)).StatusCode);
                await Eventually.UntilAsync(async () =>
                    {
                        var f = await admin.FileAsync("crash", fileId);
                        Assert.True(f.GetProperty("status").GetString() is "staged" or "processing", $"the file is {f} before the kill: the file is too small to catch it midway");
                        Assert.Equal(old, (await admin.AllRowsAsync("crash", "speed_tracking")).Count);
                        return f.TryGetProperty("rows_read", out var read) && read.ValueKind == JsonValueKind.Number && read.GetInt64() > 0;
                    },
                    "the replace was never seen in progress", every: TimeSpan.FromMilliseconds(10));
                first.Kill();
            }

            await using (var second = await ChildHost.StartAsync(home))
            {
                using var admin = await second.AdminAsync();
                await Eventually.UntilAsync(
                    async () => JsonDocument.Parse(await admin.GetStringAsync("/tenants/crash/runs")).RootElement.GetProperty("runs").EnumerateArray()
                        .Select(r => (r.GetProperty("trigger").GetString(), r.GetProperty("status").GetString())).ToList(),
                    seen => seen.Any(r => r.Item1 == "recovery" && r.Item2 is "succeeded" or "partially_succeeded" or "failed"),
                    seen => "the recovery run did not finish: " + string.Join(", ", seen));
                var after = await admin.FileAsync("crash", fileId);
                Assert.Equal(("replace", "partially_loaded"), (after.GetProperty("mode").GetString(), after.GetProperty("status").GetString()));
                Assert.Equal(Rows - (Rows / BadEvery), after.GetProperty("rows_loaded").GetInt64());
            }

            // The new generation holds the file's rows, each once; the table it replaced is gone.
            var (keys, _) = await CountAsync(Path.Combine(home, "coredms"), "speedreading_r1");
            Assert.Equal(Rows - (Rows / BadEvery), keys);
            await Assert.ThrowsAnyAsync<CoredmsException>(() => CountAsync(Path.Combine(home, "coredms"), "speedreading"));
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    /// <summary>Counts the rows in the tenant's table and quarantine straight from the SQLite files, after the platform stopped.</summary>
    private static async Task<(long Rows, long Quarantined)> CountAsync(string coredmsDirectory, string? table = null)
    {
        using var db = new SqliteCoredms(Options.Create(new SqliteOptions { DataDirectory = coredmsDirectory }), DataClock.Real);
        var dataset = Catalog.Datasets.Dataset.From("crash", "speed_tracking", JsonDocument.Parse(Flows.DatasetA().ToJsonString()).RootElement, table);
        async Task<long> Count(TableSchema table)
        {
            long count = 0;
            var seen = new HashSet<(object?, object?)>();
            string? state = null;
            do
            {
                var page = await db.SelectAsync(table, SelectQuery.All(100_000, state));
                foreach (var row in page.Rows)
                {
                    Assert.True(seen.Add((row[table.PrimaryKeyIndexes[0]], row[table.PrimaryKeyIndexes[^1]])), "a key came back twice");
                }

                count += page.Rows.Count;
                state = page.PagingState;
            }
            while (state is not null);

            return count;
        }

        return (await Count(dataset.Table), await Count(dataset.Quarantine));
    }
}
