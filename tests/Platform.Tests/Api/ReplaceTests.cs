using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Coredms;
using CqlStandIn;
using Microsoft.Extensions.DependencyInjection;
using Platform.Tests.CoredmsTests;

namespace Platform.Tests.Api;

/// <summary>
/// Files in replace mode (<c>?mode=replace</c>) on SQLite and on Cassandra (the stand-in cluster): readers that read
/// all the time see the old rows or the new, never a mix; a replace that fails keeps the old rows and leaves no table
/// behind; files appended after a replace land in the new table; a stream dataset and an unknown mode are refused.
/// </summary>
public sealed class ReplaceTests : IAsyncDisposable
{
    private const string Header = "sensor_id,reading_id,date,time,speed_kmh,lane,vehicle_class,plate_hash\n";

    private readonly StandInCluster _cluster = StandInCluster.Start();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    private Dictionary<string, string?> Settings(string engine) => engine == "cassandra" ? CassandraPlatformTests.Settings(_cluster.ContactPoint) : [];

    /// <summary>The seed tenant A's columns: <paramref name="sensors"/> × 100 readings, every row with the same speed (what tells the files apart).</summary>
    private static byte[] Readings(int sensors, double speed, int firstSensor = 1)
    {
        var csv = new StringBuilder(Header);
        for (var s = firstSensor; s < firstSensor + sensors; s++)
        {
            for (var r = 1; r <= 100; r++)
            {
                csv.Append(FormattableString.Invariant($"{s},{r},2026-03-01,08:00:01,{speed},1,car,ab\n"));
            }
        }

        return Encoding.UTF8.GetBytes(csv.ToString());
    }

    /// <summary>How many rows the dataset has, and their speeds (distinct, in order, comma-separated).</summary>
    private static async Task<(int Rows, string Speeds)> ReadAllAsync(HttpClient t, string tenant)
    {
        var rows = await t.AllRowsAsync(tenant, "speed_tracking");
        return (rows.Count, Speeds(rows));
    }

    private static string Speeds(IEnumerable<JsonElement> rows) =>
        string.Join(",", rows.Select(r => r.GetProperty("speed_kmh").GetDouble().ToString(System.Globalization.CultureInfo.InvariantCulture)).Distinct().Order(StringComparer.Ordinal));

    /// <summary>The dataset as the listing shows it, with the physical keyspace and table.</summary>
    private static async Task<JsonElement> DatasetAsync(HttpClient t, string tenant) =>
        (await t.GetFromJsonAsync<JsonElement>($"/tenants/{tenant}/datasets")).GetProperty("datasets").EnumerateArray().Single(d => d.GetProperty("name").GetString() == "speed_tracking");

    [Theory]
    [InlineData("sqlite")]
    [InlineData("cassandra")]
    public Task ReadersSeeTheOldRowsOrTheNewNeverAMix(string engine) => ReadersAsync(Settings(engine), "replacing_" + engine);

    [Theory]
    [InlineData("sqlite")]
    [InlineData("cassandra")]
    public Task AFailedReplaceKeepsTheOldRowsAndLaterFilesLandAfterAReplace(string engine) => FailuresAsync(Settings(engine), "replacing2_" + engine);

    /// <summary>Readers reading all along a replace (also run by the live Cassandra suite).</summary>
    internal static async Task ReadersAsync(Dictionary<string, string?> settings, string tenant)
    {
        await using var host = await PlatformHost.StartAsync(settings);
        using var t = await host.TenantAsync(tenant);
        await t.RegisterAsync(tenant, Flows.DatasetA(), Flows.AgreementWithoutApp());
        await t.UploadAsync(tenant, "speed_tracking", "old.csv", Readings(50, 10.5));
        await t.IngestAndWaitAsync(tenant, "speed_tracking");

        // Readers: whole reads in one page, and paged reads of 700 rows that start over when told the dataset was replaced.
        var seen = new ConcurrentBag<(string Reader, int Rows, string Speeds)>();
        var restarts = 0;
        using var stop = new CancellationTokenSource();
        async Task ReadAsync(string reader, int limit)
        {
            while (!stop.IsCancellationRequested)
            {
                var rows = new List<JsonElement>();
                string? state = null;
                while (true)
                {
                    var answer = await t.GetAsync($"/tenants/{tenant}/datasets/speed_tracking/rows?limit={limit}" + (state is null ? "" : "&paging_state=" + Uri.EscapeDataString(state)));
                    var page = await answer.ReadJsonAsync();
                    if (answer.StatusCode == HttpStatusCode.Conflict)
                    {
                        Assert.Equal("urn:mysimbdp:problem:dataset-replaced", page.GetProperty("type").GetString());
                        Interlocked.Increment(ref restarts);
                        rows.Clear();
                        state = null;
                        continue;
                    }

                    Assert.True(answer.StatusCode == HttpStatusCode.OK, page.ToString());
                    rows.AddRange(page.GetProperty("rows").EnumerateArray().Select(r => r.Clone()));
                    if ((state = page.GetProperty("paging_state").GetString()) is null)
                    {
                        break;
                    }
                }

                seen.Add((reader, rows.Count, Speeds(rows)));
            }
        }

        var readers = new[] { ReadAsync("whole", 10_000), ReadAsync("whole", 10_000), ReadAsync("paged", 700) };
        await Eventually.UntilAsync(() => Task.FromResult(seen.Count), n => n >= 3, n => $"the readers read {n} times");
        var replacing = await t.UploadAsync(tenant, "speed_tracking", "new.csv", Readings(60, 99.5, firstSensor: 31), "?mode=replace");
        var run = await t.IngestAndWaitAsync(tenant, "speed_tracking");
        var readsBefore = seen.Count;
        await Eventually.UntilAsync(() => Task.FromResult(seen.Count), n => n >= readsBefore + 3, n => $"the readers read {n - readsBefore} times after the replace");
        await stop.CancelAsync();
        await Task.WhenAll(readers);

        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        var file = await t.FileAsync(tenant, replacing);
        Assert.Equal(("replace", "loaded", 6000), (file.GetProperty("mode").GetString(), file.GetProperty("status").GetString(), file.GetProperty("rows_loaded").GetInt32()));
        var mixed = seen.Where(s => (s.Rows, s.Speeds) is not ((5000, "10.5") or (6000, "99.5"))).ToList();
        Assert.True(mixed.Count == 0, $"{mixed.Count} of {seen.Count} reads saw neither the old rows nor the new: " + string.Join("; ", mixed.Take(5)));
        Assert.Contains(seen, s => s.Speeds == "10.5");
        Assert.Contains(seen, s => s.Speeds == "99.5");
        Assert.Equal((6000, "99.5"), await ReadAllAsync(t, tenant));

        // The dataset is on its next table, the old one is gone, and the log says so.
        var dataset = await DatasetAsync(t, tenant);
        var table = dataset.GetProperty("table").GetString()!;
        Assert.EndsWith("_r1", table, StringComparison.Ordinal);
        var coredms = host.Services.GetRequiredService<ICoredms>();
        var keyspace = dataset.GetProperty("physical_keyspace").GetString()!;
        var old = new TableSchema(keyspace, table[..^3], [new Column("sensor_id", DataType.Int), new Column("reading_id", DataType.Int)], ["sensor_id"], ["reading_id"]);
        await Assert.ThrowsAnyAsync<CoredmsException>(() => coredms.SelectAsync(old, SelectQuery.All()));
        var log = await t.GetStringAsync($"/tenants/{tenant}/logs?q=replaced");
        Assert.Contains("dataset.replaced", log, StringComparison.Ordinal);
        Assert.Contains(replacing, log, StringComparison.Ordinal);
    }

    /// <summary>A failed replace, a replace then an append, and a second replace (also run by the live Cassandra suite).</summary>
    internal static async Task FailuresAsync(Dictionary<string, string?> settings, string tenant)
    {
        await using var host = await PlatformHost.StartAsync(settings);
        using var t = await host.TenantAsync(tenant);
        await t.RegisterAsync(tenant, Flows.DatasetA(), Flows.AgreementWithoutApp());
        await t.UploadAsync(tenant, "speed_tracking", "old.csv", Readings(3, 10.5));
        await t.IngestAndWaitAsync(tenant, "speed_tracking");

        // Every row bad: the file fails, the old rows stay, on the same table.
        var bad = Encoding.UTF8.GetString(Readings(2, 99.5)).Replace(",99.5,", ",fast,", StringComparison.Ordinal);
        var failing = await t.UploadAsync(tenant, "speed_tracking", "bad.csv", Encoding.UTF8.GetBytes(bad), "?mode=replace");
        var run = await t.IngestAndWaitAsync(tenant, "speed_tracking");
        Assert.Equal("failed", run.GetProperty("status").GetString());
        var file = await t.FileAsync(tenant, failing);
        Assert.True(file.GetProperty("status").GetString() == "failed", file.ToString());
        Assert.Contains("rows were not replaced", file.TryGetProperty("error", out var error) ? error.GetString() : file.ToString(), StringComparison.Ordinal);
        Assert.Equal((300, "10.5"), await ReadAllAsync(t, tenant));
        var dataset = await DatasetAsync(t, tenant);
        Assert.DoesNotContain("_r", dataset.GetProperty("table").GetString(), StringComparison.Ordinal);

        // A replace, then an append in the same run: the appended rows are in the new table with the replacing ones.
        await t.UploadAsync(tenant, "speed_tracking", "new.csv", Readings(2, 99.5), "?mode=replace");
        await t.UploadAsync(tenant, "speed_tracking", "more.csv", Readings(1, 77.5, firstSensor: 10));
        run = await t.IngestAndWaitAsync(tenant, "speed_tracking");
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.Equal((300, "77.5,99.5"), await ReadAllAsync(t, tenant));

        // And again: the next generation, the rows of the last file only.
        await t.UploadAsync(tenant, "speed_tracking", "newer.csv", Readings(1, 55.5), "?mode=replace");
        await t.IngestAndWaitAsync(tenant, "speed_tracking");
        Assert.Equal((100, "55.5"), await ReadAllAsync(t, tenant));
        dataset = await DatasetAsync(t, tenant);
        Assert.EndsWith("_r2", dataset.GetProperty("table").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AReplaceOfAStreamDatasetOrAnUnknownModeIsRefusedNamingTheField()
    {
        await using var host = await PlatformHost.StartAsync();
        var tenant = "replacing3";
        using var t = await host.TenantAsync(tenant);
        await t.RegisterAsync(tenant, Flows.StreamDatasetA(), Flows.AgreementWithoutApp());
        var name = Flows.StreamDatasetA()["name"]!.GetValue<string>();
        foreach (var (query, rule) in new[] { ("?mode=replace", "batch-dataset"), ("?mode=overwrite", "one-of") })
        {
            var answer = await t.PostAsync($"/tenants/{tenant}/datasets/{name}/files{query}",
                new MultipartFormDataContent { { new ByteArrayContent(Readings(1, 1.5)), "file", "r.csv" } });
            var problem = await answer.ReadJsonAsync();
            Assert.True(answer.StatusCode == HttpStatusCode.BadRequest, problem.ToString());
            var error = Assert.Single(problem.GetProperty("errors").EnumerateArray());
            Assert.Equal(("mode", rule), (error.GetProperty("field").GetString(), error.GetProperty("rule").GetString()));
        }

        Assert.Empty((await t.GetFromJsonAsync<JsonElement>($"/tenants/{tenant}/files")).GetProperty("files").EnumerateArray());
    }
}
