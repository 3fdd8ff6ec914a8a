using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

using Platform.Tests.Batch;

namespace Platform.Tests.Lake;

/// <summary>
/// Datasets with a lake sink: what lands in coredms lands in Parquet files too, once, typed, partitioned as declared;
/// every file is read back by DuckDB, which nobody here wrote.
/// </summary>
public sealed class LakeTests
{
    private static JsonObject Lake(JsonObject dataset, JsonObject sink) => dataset.With("sinks", new JsonArray(sink));

    /// <summary>A dataset of every scalar type the lake maps, partitioned by its timestamp.</summary>
    private static JsonObject Typed(string name, string compression) => new()
    {
        ["name"] = name,
        ["file_type"] = "csv",
        ["key_space"] = "typed",
        ["schema"] = JsonNode.Parse("""
            {"type": "record", "name": "Measure", "fields": [
              {"name": "id", "type": "long"},
              {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
              {"name": "at_us", "type": ["null", {"type": "long", "logicalType": "timestamp-micros"}], "default": null},
              {"name": "day", "type": {"type": "int", "logicalType": "date"}},
              {"name": "amount", "type": ["null", {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}], "default": null},
              {"name": "ok", "type": ["null", "boolean"], "default": null},
              {"name": "ratio", "type": "float"},
              {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["a", "b"]}},
              {"name": "note", "type": ["null", "string"], "default": null}
            ]}
            """),
        ["primary_key"] = new JsonArray("id"),
        ["max_file_size_mb"] = 10,
        ["sinks"] = new JsonArray(new JsonObject { ["type"] = "lake", ["partition_by"] = "at", ["compression"] = compression }),
    };

    private static string TypedCsv(int rows)
    {
        var csv = new StringBuilder("id,at,at_us,day,amount,ok,ratio,kind,note\n");
        for (var i = 1; i <= rows; i++)
        {
            var at = new DateTimeOffset(2026, 11, 30, 22, 0, 0, TimeSpan.Zero).AddMinutes(i * 7);
            csv.Append(CultureInfo.InvariantCulture, $"{i},{at:yyyy-MM-ddTHH:mm:ss.fffZ},{(i % 5 == 0 ? "" : at.AddTicks(i * 10).ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture))},")
                .Append(CultureInfo.InvariantCulture, $"{at:yyyy-MM-dd},{(i % 4 == 0 ? "" : (i * 1.25m).ToString(CultureInfo.InvariantCulture))},{(i % 3 == 0 ? "" : i % 2 == 0 ? "true" : "false")},")
                .Append(CultureInfo.InvariantCulture, $"{i / 8.0:R},{(i % 2 == 0 ? "a" : "b")},{(i % 6 == 0 ? "" : "n" + i)}\n");
        }

        return csv.ToString();
    }

    [Fact]
    public async Task EveryRowOfABatchFileLandsOnceInTheLakeTypedAndPartitionedInEveryCompression()
    {
        await using var host = await PlatformHost.StartAsync();
        using var t = await host.TenantAsync("lake_types");
        const int rows = 500;
        foreach (var compression in new[] { "snappy", "zstd", "gzip", "none" })
        {
            var dataset = "measures_" + compression;
            await t.RegisterAsync("lake_types", Typed(dataset, compression), Flows.AgreementWithoutApp());
            var fileId = await t.UploadAsync("lake_types", dataset, "m.csv", Encoding.UTF8.GetBytes(TypedCsv(rows)));
            Assert.Equal("succeeded", (await t.IngestAndWaitAsync("lake_types", dataset)).GetProperty("status").GetString());
            var lake = (await t.WaitForLakeAsync("lake_types", fileId)).GetProperty("sinks").GetProperty("lake");
            Assert.Equal(rows, lake.GetProperty("rows").GetInt64());

            var files = DuckDb.Files(Path.Combine(host.Home, "lake"), "lake_types", dataset);
            // Every row once, equal to what the rows API reads from coredms, value by value.
            var api = (await t.AllRowsAsync("lake_types", dataset)).ToDictionary(r => r.GetProperty("id").GetInt64());
            var read = DuckDb.Query($"select id, \"at\", at_us, day, amount, ok, ratio, kind, note, date, hour from {files} order by id");
            Assert.Equal(rows, read.Count);
            Assert.Equal(rows, DuckDb.Long(DuckDb.Scalar($"select count(distinct id) from {files}")));
            foreach (var r in read)
            {
                var row = api[(long)r[0]!];
                var at = DateTimeOffset.Parse(row.GetProperty("at").GetString()!, CultureInfo.InvariantCulture);
                Assert.Equal(at.UtcDateTime, ((DateTime)r[1]!).ToUniversalTime());
                Assert.Equal(at.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), r[9]);
                Assert.Equal(at.ToString("HH", CultureInfo.InvariantCulture), r[10]);
                Assert.Equal(row.GetProperty("at_us").ValueKind == JsonValueKind.Null, r[2] is null);
                Assert.Equal(row.GetProperty("day").GetString(), ((DateOnly)r[3]!).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                Assert.Equal(row.GetProperty("amount").ValueKind == JsonValueKind.Null ? null : decimal.Parse(row.GetProperty("amount").GetString()!, CultureInfo.InvariantCulture), (decimal?)r[4]);
                Assert.Equal(row.GetProperty("ok").ValueKind == JsonValueKind.Null ? null : row.GetProperty("ok").GetBoolean(), (bool?)r[5]);
                Assert.Equal(row.GetProperty("ratio").GetSingle(), (float)r[6]!);
                Assert.Equal(row.GetProperty("kind").GetString(), r[7]);
                Assert.Equal(row.GetProperty("note").ValueKind == JsonValueKind.Null ? null : row.GetProperty("note").GetString(), r[8]);
            }

            // The Parquet types a reader sees, and the Avro nullability kept: required where the field is not nullable.
            var types = DuckDb.Query($"select name, type, repetition_type, converted_type from parquet_schema('{Path.Combine(host.Home, "lake", "lake_types", dataset)}/**/*.parquet')")
                .GroupBy(c => (string)c[0]!).ToDictionary(g => g.Key, g => g.First());
            Assert.Equal("REQUIRED", types["id"][2]);
            Assert.Equal("OPTIONAL", types["note"][2]);
            var described = DuckDb.Query($"describe select * exclude (date, hour) from {files}").ToDictionary(c => (string)c[0]!, c => (string)c[1]!);
            Assert.Equal(("BIGINT", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITH TIME ZONE", "DATE", "DECIMAL(10,2)", "BOOLEAN", "FLOAT", "VARCHAR"),
                (described["id"], described["at"], described["at_us"], described["day"], described["amount"], described["ok"], described["ratio"], described["kind"]));
            var codecs = DuckDb.Query($"select distinct compression from parquet_metadata('{Path.Combine(host.Home, "lake", "lake_types", dataset)}/**/*.parquet')").Select(c => (string)c[0]!).ToList();
            Assert.Equal(compression == "none" ? "UNCOMPRESSED" : compression.ToUpperInvariant(), Assert.Single(codecs));

            // The listing names the partitions the rows fall in: one per hour of 'at'.
            var listing = JsonDocument.Parse(await t.GetStringAsync($"/tenants/lake_types/datasets/{dataset}/lake")).RootElement;
            var hours = read.Select(r => $"date={r[9]}/hour={r[10]}").Distinct().Order(StringComparer.Ordinal).ToList();
            Assert.Equal(hours, listing.GetProperty("partitions").EnumerateArray().Select(p => p.GetProperty("partition").GetString()!).ToList());
            Assert.Equal(hours.Count, listing.GetProperty("files").GetInt32());
        }
    }

    [Fact]
    public async Task TheSeedTenantsFileWithALakeSinkLandsInTheLakeByTheHourItArrived()
    {
        await using var host = await PlatformHost.StartAsync();
        using var a = await host.TenantAsync("lake_seed");
        var dataset = Repo.Example("seed", "tenant_a_dataset");
        await a.RegisterAsync("lake_seed", Lake(dataset, new JsonObject { ["type"] = "lake" }), Repo.Example("seed", "tenant_a_agreement").Without("batch_app"));
        var csv = new StringBuilder("PROVINCECODE,DEVICEID,IFINDEX,FRAME,SLOT,PORT,ONUINDEX,ONUID,TIME,SPEEDIN,SPEEDOUT\n");
        for (var i = 0; i < 2000; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"P{i % 7},D{i % 50},{i},1,2,3,{i % 9},{i},01/03/2026 08:{i % 60:D2}:00,{i * 1.5},{i * 0.25}\n");
        }

        var fileId = await a.UploadAsync("lake_seed", "speed-tracking-data", "a.csv", Encoding.UTF8.GetBytes(csv.ToString()));
        await a.IngestAndWaitAsync("lake_seed", "speed-tracking-data");
        var file = await a.WaitForLakeAsync("lake_seed", fileId);
        var files = DuckDb.Files(Path.Combine(host.Home, "lake"), "lake_seed", "speed-tracking-data");
        var api = await a.AllRowsAsync("lake_seed", "speed-tracking-data");
        var lake = Assert.Single(DuckDb.Query($"select count(*), sum(SPEEDIN), sum(SPEEDOUT), sum(IFINDEX), any_value(date), any_value(hour), count(distinct date || hour) from {files}"));
        Assert.Equal((long)api.Count, DuckDb.Long(lake[0]));
        Assert.Equal(api.Sum(r => r.GetProperty("SPEEDIN").GetDouble()), (double)lake[1]!, 6);
        Assert.Equal(api.Sum(r => r.GetProperty("SPEEDOUT").GetDouble()), (double)lake[2]!, 6);
        Assert.Equal(api.Sum(r => (long)r.GetProperty("IFINDEX").GetInt32()), DuckDb.Long(lake[3]));
        // No partition field: the hour the platform received the file.
        var received = DateTimeOffset.Parse(file.GetProperty("received_at").GetString()!, CultureInfo.InvariantCulture).ToUniversalTime();
        Assert.Equal((received.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), received.ToString("HH", CultureInfo.InvariantCulture), 1L),
            ((string)lake[4]!, (string)lake[5]!, DuckDb.Long(lake[6])));
    }

    [Fact]
    public async Task ALakeThatCannotBeWrittenHoldsNothingBackAndCatchesUpWithNothingLostOrDoubled()
    {
        // The lake's root is a file, so no folder can be made in it: every write fails until it is moved away.
        var blocked = Path.Combine(Path.GetTempPath(), "mysimbdp-lake-blocked-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(blocked, "not a folder");
        try
        {
            await using var host = await PlatformHost.StartAsync(new Dictionary<string, string?> { ["Lake:Root"] = blocked, ["Lake:RetryMaxSeconds"] = "1" });
            using var t = await host.TenantAsync("lake_down");
            await t.RegisterAsync("lake_down", Lake(Flows.DatasetA(), new JsonObject { ["type"] = "lake", ["partition_by"] = "date" }), Flows.AgreementWithoutApp());
            var ids = new List<string>();
            for (var f = 0; f < 3; f++)
            {
                var csv = new StringBuilder(MessyFile.Header + "\n");
                for (var i = 1; i <= 4000; i++)
                {
                    csv.Append(CultureInfo.InvariantCulture, $"{f},{i},2026-03-{1 + (i % 5):D2},08:00:00,{i % 120}.5,{(i % 3 == 0 ? "" : "1")},car,\n");
                }

                ids.Add(await t.UploadAsync("lake_down", "speed_tracking", $"f{f}.csv", Encoding.UTF8.GetBytes(csv.ToString())));
                Assert.Equal("succeeded", (await t.IngestAndWaitAsync("lake_down", "speed_tracking")).GetProperty("status").GetString());
            }

            // Coredms has every row while the lake cannot be written; each file says why its lake files wait.
            Assert.Equal(12_000, (await t.AllRowsAsync("lake_down", "speed_tracking")).Count);
            foreach (var id in ids)
            {
                var lake = (await Eventually.UntilAsync(() => t.FileAsync("lake_down", id),
                    f => f.GetProperty("sinks").GetProperty("lake").GetProperty("attempts").GetInt32() >= 2, f => $"the lake write was not retried: {f}"))
                    .GetProperty("sinks").GetProperty("lake");
                Assert.Equal("retrying", lake.GetProperty("status").GetString());
                Assert.Contains(blocked, lake.GetProperty("error").GetString());
            }

            File.Delete(blocked);
            foreach (var id in ids)
            {
                Assert.Equal(4000, (await t.WaitForLakeAsync("lake_down", id)).GetProperty("sinks").GetProperty("lake").GetProperty("rows").GetInt64());
            }

            var files = DuckDb.Files(blocked, "lake_down", "speed_tracking");
            var lakeRows = Assert.Single(DuckDb.Query($"select count(*), count(distinct (sensor_id, reading_id)), count(lane), count(distinct date) from {files}"));
            var lanes = (await t.AllRowsAsync("lake_down", "speed_tracking")).Count(r => r.GetProperty("lane").ValueKind != JsonValueKind.Null);
            Assert.Equal((12_000L, 12_000L, (long)lanes, 5L), (DuckDb.Long(lakeRows[0]), DuckDb.Long(lakeRows[1]), DuckDb.Long(lakeRows[2]), DuckDb.Long(lakeRows[3])));
            Assert.Equal(DuckDb.Query($"select distinct hour from {files}").Select(r => (string)r[0]!).ToList(), ["00"]);
        }
        finally
        {
            if (Directory.Exists(blocked))
            {
                Directory.Delete(blocked, recursive: true);
            }

            File.Delete(blocked);
        }
    }

    /// <summary>True once the lake spool holds nothing waiting: every streamed segment rolled and every roll published.</summary>
    public static bool SpoolDrained(string home)
    {
        var spool = Path.Combine(home, "spool", "lake");
        return !Directory.Exists(spool) || !Directory.EnumerateFiles(spool, "*", SearchOption.AllDirectories)
            .Any(f => f.EndsWith(".seg", StringComparison.Ordinal) || Path.GetFileName(f) == "_ready.json");
    }

    [Fact]
    public async Task StreamedEventsLandInTheLakeOnceRolledIntoAFewFilesNotOnePerRequest()
    {
        await using var host = await PlatformHost.StartAsync(new Dictionary<string, string?> { ["Lake:RollSeconds"] = "1" });
        using var t = await host.TenantAsync("lake_events");
        await t.RegisterAsync("lake_events", Lake(Flows.StreamDatasetA(), new JsonObject { ["type"] = "lake", ["partition_by"] = "date" }), Flows.AgreementWithoutApp());
        const int Requests = 40, PerRequest = 100;
        for (var r = 0; r < Requests; r++)
        {
            var body = string.Join('\n', Enumerable.Range(1, PerRequest).Select(i =>
                $$"""{"sensor_id": {{r}}, "reading_id": {{i}}, "date": "2026-03-0{{1 + (i % 3)}}", "time": "08:00:00", "speed_kmh": {{i % 90}}.5, "vehicle_class": "car"}"""));
            var response = await t.PostAsync("/tenants/lake_events/datasets/speed_tracking/events", new StringContent(body, Encoding.UTF8, "application/x-ndjson"));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var files = DuckDb.Files(Path.Combine(host.Home, "lake"), "lake_events", "speed_tracking").Replace("hive_partitioning = true", "hive_partitioning = false, filename = true");
        await Eventually.UntilAsync(() => Task.FromResult(SpoolDrained(host.Home) && Directory.Exists(Path.Combine(host.Home, "lake", "lake_events"))
                && DuckDb.Long(DuckDb.Scalar($"select count(*) from {files}")) >= Requests * PerRequest),
            "the streamed rows never all reached the lake");
        var lake = Assert.Single(DuckDb.Query($"select count(*), count(distinct (sensor_id, reading_id)), count(distinct filename), sum(speed_kmh) from {files}"));
        Assert.Equal((4000L, 4000L), (DuckDb.Long(lake[0]), DuckDb.Long(lake[1])));
        Assert.Equal((await t.AllRowsAsync("lake_events", "speed_tracking")).Sum(r => r.GetProperty("speed_kmh").GetDouble()), (double)lake[3]!, 6);
        // Rolled by age into a few files per date partition (three dates here), never one per request.
        Assert.InRange(DuckDb.Long(lake[2]), 3, Requests / 2);
        Assert.Empty(DuckDb.Query($"select filename from {files} where not contains(filename, '/date=' || strftime(date, '%Y-%m-%d') || '/hour=00/s-')"));
    }

    [Fact]
    public async Task ATenantsQueryOverItsLakeAgreesWithTheRowsApiAndNothingElseIsReadOrRun()
    {
        await using var host = await PlatformHost.StartAsync(new Dictionary<string, string?> { ["Lake:QuerySeconds"] = "1" });
        using var a = await host.TenantAsync("lake_sql");
        using var b = await host.TenantAsync("lake_sql_b");
        await a.RegisterAsync("lake_sql", Lake(Repo.Example("seed", "tenant_a_dataset"), new JsonObject { ["type"] = "lake", ["compression"] = "zstd" }),
            Repo.Example("seed", "tenant_a_agreement").Without("batch_app"));
        await b.RegisterAsync("lake_sql_b", Lake(Flows.DatasetA(), new JsonObject { ["type"] = "lake" }), Flows.AgreementWithoutApp());
        var csv = new StringBuilder("PROVINCECODE,DEVICEID,IFINDEX,FRAME,SLOT,PORT,ONUINDEX,ONUID,TIME,SPEEDIN,SPEEDOUT\n");
        for (var i = 0; i < 3000; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"P{i % 7},D{i % 50},{i},1,2,3,{i % 9},{i},01/03/2026 08:{i % 60:D2}:00,{i * 1.5},{i * 0.25}\n");
        }

        var fileA = await a.UploadAsync("lake_sql", "speed-tracking-data", "a.csv", Encoding.UTF8.GetBytes(csv.ToString()));
        await a.IngestAndWaitAsync("lake_sql", "speed-tracking-data");
        await a.WaitForLakeAsync("lake_sql", fileA);
        var fileB = await b.UploadAsync("lake_sql_b", "speed_tracking", "b.csv", File.ReadAllBytes(Repo.Path("schemas", "examples", "client_a", "readings.csv")));
        await b.IngestAndWaitAsync("lake_sql_b", "speed_tracking");
        await b.WaitForLakeAsync("lake_sql_b", fileB);

        async Task<HttpResponseMessage> QueryAsync(HttpClient http, string tenant, string dataset, object body) =>
            await http.PostAsync($"/tenants/{tenant}/datasets/{dataset}/query", Repo.Body(JsonSerializer.SerializeToNode(body)!.AsObject()));

        var api = await a.AllRowsAsync("lake_sql", "speed-tracking-data");
        var answer = await QueryAsync(a, "lake_sql", "speed-tracking-data",
            new { sql = "SELECT count(*) AS n, sum(SPEEDIN) AS s_in, sum(IFINDEX) AS s_if, count(DISTINCT PROVINCECODE) AS provinces FROM \"speed-tracking-data\"" });
        Assert.True(answer.StatusCode == HttpStatusCode.OK, await answer.Content.ReadAsStringAsync());
        var result = await answer.ReadJsonAsync();
        var row = result.GetProperty("rows")[0];
        Assert.Equal(api.Count, row[0].GetInt64());
        Assert.Equal(api.Sum(r => r.GetProperty("SPEEDIN").GetDouble()), row[1].GetDouble(), 6);
        Assert.Equal(api.Sum(r => (long)r.GetProperty("IFINDEX").GetInt32()), row[2].GetInt64());
        Assert.Equal(7, row[3].GetInt64());
        Assert.Equal(["n", "s_in", "s_if", "provinces"], result.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList());

        var limited = await (await QueryAsync(a, "lake_sql", "speed-tracking-data", new { sql = "WITH d AS (SELECT * FROM \"speed-tracking-data\") SELECT ONUID FROM d ORDER BY ONUID", limit = 10 })).ReadJsonAsync();
        Assert.Equal((10, true, 0L), (limited.GetProperty("row_count").GetInt32(), limited.GetProperty("truncated").GetBoolean(), limited.GetProperty("rows")[0][0].GetInt64()));

        // Anything but one SELECT of the dataset is refused before it runs, naming the rule.
        var other = Path.Combine(host.Home, "lake", "lake_sql_b", "speed_tracking");
        var written = Path.Combine(host.Home, "copied.csv");
        foreach (var (sql, rule) in new[]
                 {
                     ("SELECT * FROM read_csv('/etc/passwd')", "dataset_only"),
                     ("SELECT * FROM (FROM read_text('/etc/hostname'))", "dataset_only"),
                     ($"SELECT count(*) FROM read_parquet('{other}/**/*.parquet')", "dataset_only"),
                     ("SELECT count(*) FROM speed_tracking", "dataset_only"),
                     ("SELECT count(*) FROM main.\"speed-tracking-data\"", "dataset_only"),
                     ($"COPY (SELECT * FROM \"speed-tracking-data\") TO '{written}'", "select"),
                     ($"ATTACH '{written}.db'", "select"),
                     ("INSTALL httpfs", "select"),
                     ("SET enable_external_access = true", "select"),
                     ("SELECT 1; SELECT 2", "single_statement"),
                     ("SELEC 1", "select"),
                 })
        {
            var refused = await QueryAsync(a, "lake_sql", "speed-tracking-data", new { sql });
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{sql}: {refused.StatusCode} {await refused.Content.ReadAsStringAsync()}");
            var error = (await refused.ReadJsonAsync()).GetProperty("errors")[0];
            Assert.Equal(("sql", rule), (error.GetProperty("field").GetString(), error.GetProperty("rule").GetString()));
        }

        Assert.False(File.Exists(written));
        Assert.False(File.Exists(written + ".db"));
        Assert.Equal("limit", (await (await QueryAsync(a, "lake_sql", "speed-tracking-data", new { sql = "SELECT 1", limit = 0 })).ReadJsonAsync()).GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await QueryAsync(b, "lake_sql", "speed-tracking-data", new { sql = "SELECT 1" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await QueryAsync(a, "lake_sql", "speed-tracking-data", new { sql = "SELECT no_such_field FROM \"speed-tracking-data\"" })).StatusCode);

        // 3,000 rows joined with themselves three times: stopped at the time limit.
        var slow = await QueryAsync(a, "lake_sql", "speed-tracking-data",
            new { sql = "SELECT count(*) FROM \"speed-tracking-data\" x, \"speed-tracking-data\" y, \"speed-tracking-data\" z WHERE x.SPEEDIN + y.SPEEDIN > z.SPEEDOUT" });
        var slowText = await slow.Content.ReadAsStringAsync();
        Assert.True(slowText.Contains("\"rule\":\"time_limit\"", StringComparison.Ordinal), slowText);

        // Four such queries at once: one runs (to its time limit), those sent while it runs are 429 with the limit and Retry-After.
        var together = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => QueryAsync(a, "lake_sql", "speed-tracking-data",
            new { sql = "SELECT count(*) FROM \"speed-tracking-data\" x, \"speed-tracking-data\" y, \"speed-tracking-data\" z WHERE x.SPEEDIN + y.SPEEDIN > z.SPEEDOUT" })));
        var busy = together.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(busy);
        Assert.All(together.Except(busy), r => Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode));
        var problem = await busy[0].ReadJsonAsync();
        Assert.Equal(("queries_per_tenant", 1), (problem.GetProperty("quota").GetString(), problem.GetProperty("limit").GetInt32()));
        Assert.Equal("1", busy[0].Headers.GetValues("Retry-After").Single());
        Assert.Equal(HttpStatusCode.OK, (await QueryAsync(a, "lake_sql", "speed-tracking-data", new { sql = "SELECT 1 FROM \"speed-tracking-data\" LIMIT 1" })).StatusCode);
    }

    [Fact]
    public async Task ABadSinkIsRefusedNamingEachFieldAndRuleAndATenantsLakeGoesWithTheTenant()
    {
        await using var host = await PlatformHost.StartAsync();
        using var admin = await host.AdminAsync();
        using var t = await host.TenantAsync("lake_rules");
        var bad = Flows.DatasetA().With("sinks", JsonNode.Parse("""
            [{"type": "lake", "partition_by": "vehicle_class", "compression": "lz4", "bucket": "x"}, {"type": "warehouse"}, {"type": "lake"}]
            """));
        var response = await t.PutAsync("/tenants/lake_rules/datasets/speed_tracking", Repo.Body(bad));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.ReadJsonAsync()).GetProperty("errors").EnumerateArray()
            .Select(e => (e.GetProperty("field").GetString(), e.GetProperty("rule").GetString())).ToHashSet();
        Assert.Subset(errors, new HashSet<(string?, string?)>
        {
            ("sinks[0].partition_by", "type"), ("sinks[0].compression", "one_of"), ("sinks[0].bucket", "unknown_property"),
            ("sinks[1].type", "one_of"), ("sinks[2]", "one_of"),
        });
        var missing = await t.PutAsync("/tenants/lake_rules/datasets/speed_tracking", Repo.Body(Flows.DatasetA().With("sinks", JsonNode.Parse("""[{"type": "lake", "partition_by": "when"}]"""))));
        Assert.Equal("sinks[0].partition_by", (await missing.ReadJsonAsync()).GetProperty("errors")[0].GetProperty("field").GetString());

        await t.RegisterAsync("lake_rules", Lake(Flows.DatasetA(), new JsonObject { ["type"] = "lake" }), Flows.AgreementWithoutApp());
        var fileId = await t.UploadAsync("lake_rules", "speed_tracking", "r.csv", File.ReadAllBytes(Repo.Path("schemas", "examples", "client_a", "readings.csv")));
        await t.IngestAndWaitAsync("lake_rules", "speed_tracking");
        await t.WaitForLakeAsync("lake_rules", fileId);
        Assert.True(Directory.Exists(Path.Combine(host.Home, "lake", "lake_rules")));
        Assert.True((await admin.DeleteAsync("/tenants/lake_rules?confirm=lake_rules")).IsSuccessStatusCode);
        Assert.False(Directory.Exists(Path.Combine(host.Home, "lake", "lake_rules")));
    }
}
