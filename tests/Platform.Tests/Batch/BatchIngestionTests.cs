using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Platform.Tests.Batch;

public sealed class BatchIngestionTests : IAsyncLifetime
{
    private PlatformHost _host = null!;

    public async Task InitializeAsync() => _host = await PlatformHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static Dictionary<string, int> CountByRule(IEnumerable<JsonElement> quarantine) =>
        quarantine.GroupBy(q => q.GetProperty("rule").GetString()!).ToDictionary(g => g.Key, g => g.Count());

    [Fact]
    public async Task AFileWithNoRowLoadedFailsWithItsReasonsAndItsRunFails()
    {
        using var a = await _host.TenantAsync("status_a");
        await a.RegisterAsync("status_a", Flows.DatasetA(), Flows.AgreementWithoutApp());
        // The right columns, the wrong delimiter: every data line is one field.
        var csv = MessyFile.Header.Replace(',', ';') + "\n" + string.Concat(Enumerable.Range(1, 5000).Select(i => $"1;{i};2026-03-01;08:00:00;50;1;car;\n"));
        var header = MessyFile.Header + "\n" + string.Concat(Enumerable.Range(1, 5000).Select(i => $"1;{i};2026-03-01;08:00:00;50;1;car;\n"));
        var wrongHeader = await a.UploadAsync("status_a", "speed_tracking", "semicolons.csv", Encoding.UTF8.GetBytes(csv));
        var run = await a.IngestAndWaitAsync("status_a", "speed_tracking");
        Assert.Equal("failed", run.GetProperty("status").GetString());
        Assert.Equal("failed", (await a.FileAsync("status_a", wrongHeader)).GetProperty("status").GetString());

        var allBad = await a.UploadAsync("status_a", "speed_tracking", "all-bad.csv", Encoding.UTF8.GetBytes(header));
        run = await a.IngestAndWaitAsync("status_a", "speed_tracking");
        Assert.Equal("failed", run.GetProperty("status").GetString());
        var file = await a.FileAsync("status_a", allBad);
        Assert.Equal(("failed", 0L, 5000L), (file.GetProperty("status").GetString(), file.GetProperty("rows_loaded").GetInt64(), file.GetProperty("rows_quarantined").GetInt64()));
        Assert.Equal("No row was loaded: all 5000 rows failed validation (field_count 5,000); see the quarantine.", file.GetProperty("error").GetString());
        var result = Assert.Single(run.GetProperty("file_results").EnumerateArray());
        Assert.Equal((allBad, "failed", 5000L), (result.GetProperty("file_id").GetString(), result.GetProperty("status").GetString(), result.GetProperty("rows_quarantined").GetInt64()));
    }

    [Fact]
    public async Task ARunWithOneGoodAndOneFailedFileIsPartiallySucceededWithEachFilesCounts()
    {
        using var a = await _host.TenantAsync("status_b");
        await a.RegisterAsync("status_b", Flows.DatasetA(), Flows.AgreementWithoutApp());
        var good = await a.UploadAsync("status_b", "speed_tracking", "good.csv", File.ReadAllBytes(Repo.Path("schemas", "examples", "client_a", "readings.csv")));
        var bad = await a.UploadAsync("status_b", "speed_tracking", "bad.csv", Encoding.UTF8.GetBytes(MessyFile.Header + "\nnot,a,row\n"));
        var run = await a.IngestAndWaitAsync("status_b", "speed_tracking");

        Assert.Equal("partially_succeeded", run.GetProperty("status").GetString());
        Assert.Equal("1 of 2 files failed", run.GetProperty("error").GetString());
        var results = run.GetProperty("file_results").EnumerateArray().ToDictionary(f => f.GetProperty("file_id").GetString()!);
        Assert.Equal("partially_loaded", results[good].GetProperty("status").GetString());
        Assert.True(results[good].GetProperty("rows_loaded").GetInt64() > 0);
        Assert.Equal(("failed", 0L, 1L), (results[bad].GetProperty("status").GetString(), results[bad].GetProperty("rows_loaded").GetInt64(), results[bad].GetProperty("rows_quarantined").GetInt64()));
    }

    [Fact]
    public async Task TheSeedTenantsRowsReadBackAsUploadedMinusTheQuarantined()
    {
        using var a = await _host.TenantAsync("client_a");
        using var b = await _host.TenantAsync("client_b");
        await a.RegisterAsync("client_a", Repo.Example("client_a", "dataset"), Repo.Example("client_a", "agreement"));
        await b.RegisterAsync("client_b", Repo.Example("client_b", "dataset"), Repo.Example("client_b", "agreement"));

        var random = new Random(7);
        var sent = new List<string[]>();
        var csv = new StringBuilder(MessyFile.Header + "\n");
        for (var i = 1; i <= 600; i++)
        {
            string[] row = [$"{1 + (i % 9)}", $"{i}", $"2026-03-{1 + (i % 28):D2}", $"{i % 24:D2}:{i % 60:D2}:{(i * 7) % 60:D2}",
                (random.NextDouble() * 150).ToString("F2", CultureInfo.InvariantCulture), i % 4 == 0 ? "" : $"{1 + (i % 3)}",
                new[] { "car", "truck", "bus", "motorcycle", "other" }[i % 5], i % 3 == 0 ? "" : $"p{i}"];
            if (i % 50 == 0)
            {
                row[4] = "-1";
            }

            sent.Add(row);
            csv.Append(string.Join(',', row)).Append('\n');
        }

        var fileA = await a.UploadAsync("client_a", "speed_tracking", "readings.csv", Encoding.UTF8.GetBytes(csv.ToString()));
        var tsv = File.ReadAllBytes(Repo.Path("schemas", "examples", "client_b", "reviews.tsv"));
        var fileB = await b.UploadAsync("client_b", "product_reviews", "reviews.tsv", tsv);

        var runA = await a.IngestAndWaitAsync("client_a", "speed_tracking");
        var runB = await b.IngestAndWaitAsync("client_b", "product_reviews");
        // Some rows of each were quarantined: the runs say so.
        Assert.Equal("partially_succeeded", runA.GetProperty("status").GetString());
        Assert.Equal("partially_loaded", Assert.Single(runA.GetProperty("file_results").EnumerateArray()).GetProperty("status").GetString());

        var rows = await a.AllRowsAsync("client_a", "speed_tracking");
        var expected = sent.Where(r => r[4] != "-1").ToList();
        Assert.Equal(expected.Count, rows.Count);
        var byKey = rows.ToDictionary(r => (r.GetProperty("sensor_id").GetInt32(), r.GetProperty("reading_id").GetInt32()));
        foreach (var row in expected)
        {
            var got = byKey[(int.Parse(row[0]), int.Parse(row[1]))];
            Assert.Equal(row[2], got.GetProperty("date").GetString());
            Assert.Equal(row[3], got.GetProperty("time").GetString());
            Assert.Equal(double.Parse(row[4], CultureInfo.InvariantCulture), got.GetProperty("speed_kmh").GetDouble());
            Assert.Equal(row[5] == "" ? null : row[5], got.GetProperty("lane").ValueKind == JsonValueKind.Null ? null : got.GetProperty("lane").GetInt32().ToString());
            Assert.Equal(row[6], got.GetProperty("vehicle_class").GetString());
            Assert.Equal(row[7] == "" ? null : row[7], got.GetProperty("plate_hash").GetString());
        }

        var quarantine = await a.AllRowsAsync("client_a", "speed_tracking", "quarantine");
        Assert.Equal(12, quarantine.Count);
        Assert.All(quarantine, q => Assert.Equal("validity: -1 is below the minimum 0", q.GetProperty("reason").GetString()));
        Assert.All(quarantine, q => Assert.Equal(fileA, q.GetProperty("file_id").GetString()));
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (long)(i * 50) + 1), quarantine.Select(q => q.GetProperty("line").GetInt64()).Order());

        var fa = await a.FileAsync("client_a", fileA);
        Assert.Equal(("partially_loaded", 600, 588, 12), (fa.GetProperty("status").GetString(), fa.GetProperty("rows_read").GetInt64(), fa.GetProperty("rows_loaded").GetInt64(), fa.GetProperty("rows_quarantined").GetInt64()));

        var reviews = await b.AllRowsAsync("client_b", "product_reviews");
        Assert.Equal(3, reviews.Count);
        Assert.Contains(reviews, r => r.GetProperty("review_id").GetString() == "R2LLU1WJVD0W9V" && r.GetProperty("review_body").ValueKind == JsonValueKind.Null);
        var fb = await b.FileAsync("client_b", fileB);
        Assert.Equal("partially_loaded", fb.GetProperty("status").GetString());
        var badReview = Assert.Single(await b.AllRowsAsync("client_b", "product_reviews", "quarantine"));
        Assert.Equal("star_rating", badReview.GetProperty("column").GetString());
    }

    [Fact]
    public async Task AMessyFileEndsAsCountedExplainedOutcomes()
    {
        using var t = await _host.TenantAsync("messy");
        await t.RegisterAsync("messy", Flows.DatasetA(), Flows.AgreementWithoutApp());
        var fileId = await t.UploadAsync("messy", "speed_tracking", "messy.csv", MessyFile.Build());

        var run = await t.IngestAndWaitAsync("messy", "speed_tracking");
        Assert.Equal("partially_succeeded", run.GetProperty("status").GetString());

        var file = await t.FileAsync("messy", fileId);
        Assert.Equal("partially_loaded", file.GetProperty("status").GetString());
        Assert.Equal(MessyFile.AsIs.Read, file.GetProperty("rows_read").GetInt64());
        Assert.Equal(MessyFile.AsIs.Loaded, file.GetProperty("rows_loaded").GetInt64());
        Assert.Equal(MessyFile.AsIs.Quarantined, file.GetProperty("rows_quarantined").GetInt64());
        Assert.Equal(MessyFile.AsIs.Skipped, file.GetProperty("rows_skipped").GetInt64());

        var rows = await t.AllRowsAsync("messy", "speed_tracking");
        Assert.Equal(MessyFile.AsIs.DistinctRows, rows.Count);
        var first = rows.Single(r => r.GetProperty("sensor_id").GetInt32() == 1 && r.GetProperty("reading_id").GetInt32() == 1);
        Assert.Equal("latest", first.GetProperty("plate_hash").GetString());
        Assert.Equal("a,b\r\nc", rows.Single(r => r.GetProperty("sensor_id").GetInt32() == 3).GetProperty("plate_hash").GetString());

        var quarantine = await t.AllRowsAsync("messy", "speed_tracking", "quarantine");
        Assert.Equal(MessyFile.AsIs.ByRule, CountByRule(quarantine));
        string Reason(long line) => quarantine.Single(q => q.GetProperty("line").GetInt64() == line).GetProperty("reason").GetString()!;
        Assert.Contains("glued to a header line", Reason(54));
        Assert.Equal("'8.05.01' is not a time (HH:mm:ss[.fff])", Reason(55));
        Assert.Equal("'1700000000123' does not fit int (-2147483648 to 2147483647)", Reason(65));
        Assert.Equal("'123456789012345678901' does not fit int (-2147483648 to 2147483647)", Reason(66));
        Assert.Equal("validity: -5 is below the minimum 0", Reason(67));
        Assert.Contains("'spaceship' is not one of car, truck", Reason(68));
        Assert.Equal("the line has 7 fields; the header has 8", Reason(71));
        Assert.Equal("5,1700000000123,2026-03-01,08:00:00,50,1,car,", quarantine.Single(q => q.GetProperty("line").GetInt64() == 65).GetProperty("raw").GetString());
        Assert.Equal("reading_id", quarantine.Single(q => q.GetProperty("line").GetInt64() == 65).GetProperty("column").GetString());
    }

    [Fact]
    public async Task TheTenantsBatchAppTidiesTheMessyFileBeforeIngestion()
    {
        using var t = await _host.TenantAsync("client_a");
        await t.RegisterAsync("client_a", Flows.DatasetA(), Repo.Example("client_a", "agreement"));
        var fileId = await t.UploadAsync("client_a", "speed_tracking", "messy.csv", MessyFile.Build());

        var run = await t.IngestAndWaitAsync("client_a", "speed_tracking");
        Assert.Equal("partially_succeeded", run.GetProperty("status").GetString());

        var file = await t.FileAsync("client_a", fileId);
        Assert.Equal(MessyFile.AfterApp.Read, file.GetProperty("rows_read").GetInt64());
        Assert.Equal(MessyFile.AfterApp.Loaded, file.GetProperty("rows_loaded").GetInt64());
        Assert.Equal(MessyFile.AfterApp.Quarantined, file.GetProperty("rows_quarantined").GetInt64());
        Assert.Equal(MessyFile.AfterApp.Skipped, file.GetProperty("rows_skipped").GetInt64());
        Assert.Equal(MessyFile.AfterApp.DistinctRows, (await t.AllRowsAsync("client_a", "speed_tracking")).Count);
        Assert.Equal(MessyFile.AfterApp.ByRule, CountByRule(await t.AllRowsAsync("client_a", "speed_tracking", "quarantine")));
        Assert.Equal("08:05:03", (await t.AllRowsAsync("client_a", "speed_tracking", query: "&sensor_id=4&reading_id=3")).Single().GetProperty("time").GetString());
        Assert.True(File.Exists(Path.Combine(_host.Home, "staging", "client_a", "processed", "speed_tracking", "app-output", $"{fileId}__messy.csv")));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_host.Home, "staging", "client_a", "out"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task IngestingTheSameFileAgainChangesNothingAndTheLaterRowForAKeyWins()
    {
        using var t = await _host.TenantAsync("idem");
        await t.RegisterAsync("idem", Flows.DatasetA(), Flows.AgreementWithoutApp());
        var csv = MessyFile.Header + "\n1,1,2026-03-01,08:00:00,10,1,car,first\n1,2,2026-03-01,08:00:00,10,1,car,\n1,1,2026-03-01,08:00:00,20,1,car,second\n";
        await t.UploadAsync("idem", "speed_tracking", "a.csv", Encoding.UTF8.GetBytes(csv));
        await t.IngestAndWaitAsync("idem", "speed_tracking");
        var once = await t.AllRowsAsync("idem", "speed_tracking");

        await t.UploadAsync("idem", "speed_tracking", "a.csv", Encoding.UTF8.GetBytes(csv));
        await t.IngestAndWaitAsync("idem", "speed_tracking");
        var twice = await t.AllRowsAsync("idem", "speed_tracking");

        Assert.Equal(2, twice.Count);
        Assert.Equal(once.Select(r => r.GetRawText()), twice.Select(r => r.GetRawText()));
        Assert.Equal("second", twice[0].GetProperty("plate_hash").GetString());
    }

    [Fact]
    public async Task SkipFileLoadsNothingFromAFileWithABadRow()
    {
        using var t = await _host.TenantAsync("strict");
        await t.RegisterAsync("strict", Flows.DatasetA().With("on_error", "skip_file"), Flows.AgreementWithoutApp());
        var fileId = await t.UploadAsync("strict", "speed_tracking", "a.csv", MessyFile.Build());

        await t.IngestAndWaitAsync("strict", "speed_tracking");
        var file = await t.FileAsync("strict", fileId);
        Assert.Equal("failed", file.GetProperty("status").GetString());
        Assert.Contains("on_error skip_file: 16 of 68 rows failed validation", file.GetProperty("error").GetString());
        Assert.Equal(0, file.GetProperty("rows_loaded").GetInt64());
        Assert.Empty(await t.AllRowsAsync("strict", "speed_tracking"));
        Assert.Equal(16, (await t.AllRowsAsync("strict", "speed_tracking", "quarantine")).Count);
    }

    [Theory]
    [InlineData(0.1, "failed", 0)]
    [InlineData(0.3, "partially_loaded", 52)]
    public async Task AbortFailsAFileWhoseErrorRatioIsOverTheMaximumAndLoadsOtherwise(double ratio, string status, long loaded)
    {
        using var t = await _host.TenantAsync("aborting");
        await t.RegisterAsync("aborting", Flows.DatasetA().With("on_error", "abort").With("max_error_ratio", ratio), Flows.AgreementWithoutApp());
        var fileId = await t.UploadAsync("aborting", "speed_tracking", "a.csv", MessyFile.Build());

        await t.IngestAndWaitAsync("aborting", "speed_tracking");
        var file = await t.FileAsync("aborting", fileId);
        Assert.Equal(status, file.GetProperty("status").GetString());
        Assert.Equal(loaded, file.GetProperty("rows_loaded").GetInt64());
        Assert.Equal(loaded == 0 ? 0 : MessyFile.AsIs.DistinctRows, (await t.AllRowsAsync("aborting", "speed_tracking")).Count);
        if (loaded == 0)
        {
            Assert.Contains("over max_error_ratio 0.1; nothing was loaded", file.GetProperty("error").GetString());
        }
    }

    [Fact]
    public async Task AHeaderWithoutRequiredColumnsFailsTheFileWithTheNames()
    {
        using var t = await _host.TenantAsync("headers");
        await t.RegisterAsync("headers", Flows.DatasetA(), Flows.AgreementWithoutApp());
        var fileId = await t.UploadAsync("headers", "speed_tracking", "a.csv", Encoding.UTF8.GetBytes("sensor,reading_id,date\n1,1,2026-03-01\n"));

        await t.IngestAndWaitAsync("headers", "speed_tracking");
        var file = await t.FileAsync("headers", fileId);
        Assert.Equal("failed", file.GetProperty("status").GetString());
        Assert.Contains("lacks column(s) sensor_id, time, speed_kmh, vehicle_class", file.GetProperty("error").GetString());
        Assert.Contains("does not know: sensor", file.GetProperty("error").GetString());
    }

    [Fact]
    public async Task ValidateIsADryRunThatReportsWhatWouldHappen()
    {
        using var t = await _host.TenantAsync("dry");
        await t.RegisterAsync("dry", Flows.DatasetA(), Flows.AgreementWithoutApp());

        var response = await t.PostAsync("/tenants/dry/datasets/speed_tracking/validate", new MultipartFormDataContent { { new ByteArrayContent(MessyFile.Build()), "file", "sample.csv" } });
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var report = await response.ReadJsonAsync();
        Assert.Equal("partially_loaded", report.GetProperty("status").GetString());
        Assert.Equal(MessyFile.AsIs.Loaded, report.GetProperty("rows_loaded").GetInt64());
        Assert.Equal(MessyFile.AsIs.Quarantined, report.GetProperty("rows_quarantined").GetInt64());
        var problems = report.GetProperty("problems").EnumerateArray().ToDictionary(p => p.GetProperty("rule").GetString()!, p => p);
        Assert.Equal(MessyFile.AsIs.ByRule, problems.ToDictionary(p => p.Key, p => p.Value.GetProperty("count").GetInt32()));
        Assert.Equal(5, problems["type"].GetProperty("examples").GetArrayLength());
        Assert.Equal(55, problems["type"].GetProperty("examples")[0].GetProperty("line").GetInt64());

        Assert.Empty(await t.AllRowsAsync("dry", "speed_tracking"));
        Assert.Empty(await t.AllRowsAsync("dry", "speed_tracking", "quarantine"));
        Assert.Empty(JsonDocument.Parse(await t.GetStringAsync("/tenants/dry/files")).RootElement.GetProperty("files").EnumerateArray());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_host.Home, "staging", "dry"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task RowsCanBeFilteredByKeyAndPagedAndBadFiltersAreExplained()
    {
        using var t = await _host.TenantAsync("reader");
        await t.RegisterAsync("reader", Flows.DatasetA(), Flows.AgreementWithoutApp());
        await t.UploadAsync("reader", "speed_tracking", "a.csv", MessyFile.Build());
        await t.IngestAndWaitAsync("reader", "speed_tracking");

        Assert.Equal(40, (await t.AllRowsAsync("reader", "speed_tracking", query: "&sensor_id=1")).Count);
        var page = JsonDocument.Parse(await t.GetStringAsync("/tenants/reader/datasets/speed_tracking/rows?limit=7&sensor_id=1")).RootElement;
        Assert.Equal(7, page.GetProperty("rows").GetArrayLength());
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], page.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("reading_id").GetInt32()));

        foreach (var (query, field) in new[] { ("reading_id=1", "reading_id"), ("sensor_id=abc", "sensor_id"), ("colour=red", "colour"), ("limit=0", "limit"), ("paging_state=junk", "paging_state") })
        {
            await t.AssertBadQueryAsync($"/tenants/reader/datasets/speed_tracking/rows?{query}", field);
        }

        await t.AssertBadQueryAsync("/tenants/reader/datasets/speed_tracking/quarantine?limit=0", "limit");
        await t.AssertBadQueryAsync("/tenants/reader/datasets/speed_tracking/quarantine?paging_state=junk", "paging_state");
    }

    [Fact]
    public async Task IngestNeedsAnAgreementAndAnExistingDataset()
    {
        using var t = await _host.TenantAsync("lonely");
        await t.RegisterAsync("lonely", Flows.DatasetA(), null);
        Assert.Equal(System.Net.HttpStatusCode.Conflict, (await t.PostAsync("/tenants/lonely/datasets/speed_tracking/ingest", null)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await t.PostAsync("/tenants/lonely/datasets/nothing/ingest", null)).StatusCode);
    }
}
