using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Benchmarks;

/// <summary>
/// Batch ingestion on the shapes tenants bring (see <see cref="BatchShape"/>): for each, a file from upload to
/// "loaded" through the platform (full validation) against the sqlite3 CLI's .import of the same file into a WITHOUT
/// ROWID table with the same primary key, in the same run; then seed A with 5% bad rows, the time from an ingest
/// request to its run's start over 20 runs, and the platform's peak resident memory while it ingests a 1 GB file.
/// </summary>
internal static class BatchBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rows = Measure.Option(args, "--rows", 1_000_000);
        var bigMb = Measure.Option(args, "--big-mb", 1024);
        var only = Measure.Option(args, "--shape", 0);
        var root = Measure.RepoRoot();
        var work = Directory.CreateTempSubdirectory("mysimbdp-bench-").FullName;
        try
        {
            if (args.Contains("--lake"))
            {
                await LakeLineAsync(work, root, rows);
                return 0;
            }

            Console.WriteLine($"Batch ingestion, {rows:N0} rows per file, upload -> loaded through the platform vs sqlite3 .import of the same file (file order, no validation)");
            Console.WriteLine($"{"shape",-42}{"MB",7}{"sqlite3 s",11}{"rows/s",11}{"mysimbdp s",12}{"rows/s",11}{"ratio",8}{"start ms",10}{"upload s",10}{"file s",8}");
            PlatformRun? seedA = null;
            BatchShape[] shapes = [BatchShape.SeedA(root), BatchShape.SeedA(root, shuffled: true), BatchShape.SeedB(root), BatchShape.Readings(root)];
            foreach (var shape in only > 0 ? [shapes[only - 1]] : shapes)
            {
                var file = Path.Combine(work, "clean." + shape.Dataset["file_type"]);
                shape.Generate(file, rows);
                var sqlite = SqliteImport(work, shape, file);
                var ours = await PlatformAsync(work, shape, file);
                seedA ??= ours;
                Console.WriteLine($"{shape.Label,-42}{new FileInfo(file).Length / 1e6,7:F1}{sqlite.TotalSeconds,11:F2}{Measure.Rate(rows, sqlite),11}" +
                    $"{ours.Time.TotalSeconds,12:F2}{Measure.Rate(rows, ours.Time),11}{sqlite / ours.Time,7:F2}x{ours.StartDelay.TotalMilliseconds,10:F0}{ours.Upload.TotalSeconds,10:F2}{ours.Ingest.TotalSeconds,8:F2}" +
                    (ours.Loaded == rows ? "" : $"   ({ours.Loaded:N0} loaded, {ours.Quarantined:N0} quarantined)"));
                File.Delete(file);
            }

            Console.WriteLine("  target: every shape >= 1.50x sqlite3");
            if (only > 0)
            {
                return 0;
            }

            await LakeLineAsync(work, root, rows);
            var dirtyShape = BatchShape.SeedA(root);
            var dirty = Path.Combine(work, "dirty.csv");
            dirtyShape.Generate(dirty, rows, badShare: 0.05);
            var oursDirty = await PlatformAsync(work, dirtyShape, dirty);
            Console.WriteLine($"(1) with 5% bad rows: {oursDirty.Time.TotalSeconds:F2} s, {Measure.Rate(rows, oursDirty.Time)} rows/s, {seedA!.Time / oursDirty.Time:F2}x the clean file " +
                $"(target >= 0.80x); {oursDirty.Loaded:N0} loaded, {oursDirty.Quarantined:N0} quarantined by rule: {oursDirty.Rules}");
            File.Delete(dirty);

            var starts = await StartDelaysAsync(work, BatchShape.SeedA(root), runs: 20);
            Console.WriteLine($"ingest request -> run started, 20 runs of a 1-row file after one warm-up run: p50 {starts[starts.Count / 2]:F1} ms, p99 {starts[^1]:F1} ms, max {starts.Max():F1} ms (target p99 <= 50 ms)");

            if (bigMb > 0)
            {
                var big = Path.Combine(work, "big.csv");
                var shape = BatchShape.SeedA(root);
                var bigRows = shape.Generate(big, targetBytes: bigMb * 1024L * 1024);
                var run = await PlatformAsync(work, shape, big);
                Console.WriteLine($"(1) {new FileInfo(big).Length / 1e9:F2} GB file ({bigRows:N0} rows): {run.Time.TotalSeconds:F1} s, {Measure.Rate(bigRows, run.Time)} rows/s, " +
                    $"peak RSS {run.PeakRss / (1024.0 * 1024):F0} MB (target <= 300 MB)");
            }

            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// Seed A's file into coredms alone, then into a dataset with a lake sink, timed until its lake files are written
    /// (published) too; three pairs, taken in turn so that the machine's swings fall on both sides; the ratio is the
    /// median time of coredms alone over the median time with the lake.
    /// </summary>
    private static async Task LakeLineAsync(string work, string root, int rows)
    {
        var lakeShape = BatchShape.SeedA(root);
        lakeShape.Dataset["sinks"] = new JsonArray(new JsonObject { ["type"] = "lake" });
        var file = Path.Combine(work, "lake.csv");
        lakeShape.Generate(file, rows);
        var alone = new List<TimeSpan>();
        var withLake = new List<PlatformRun>();
        for (var pair = 0; pair < 3; pair++)
        {
            alone.Add((await PlatformAsync(work, BatchShape.SeedA(root), file)).Time);
            withLake.Add(await PlatformAsync(work, lakeShape, file, lake: true));
        }

        var median = withLake.OrderBy(r => r.LakeWritten).ElementAt(1);
        var aloneMedian = alone.Order().ElementAt(1);
        Console.WriteLine($"(1) into coredms + lake (snappy Parquet), median of 3: loaded {median.Time.TotalSeconds:F2} s, lake written {median.LakeWritten.TotalSeconds:F2} s, " +
            $"{Measure.Rate(rows, median.LakeWritten)} rows/s, {aloneMedian / median.LakeWritten:F3}x coredms alone in this run (median {aloneMedian.TotalSeconds:F2} s; " +
            $"target >= 0.70x); {median.LakeFiles} files, {median.LakeBytes / 1e6:F1} MB; all: lake {string.Join(" ", withLake.Select(r => r.LakeWritten.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture)))} s, " +
            $"alone {string.Join(" ", alone.Select(t => t.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture)))} s");
        File.Delete(file);
    }

    /// <summary>Flushes the page cache's pending writes, so that no timed phase pays for the previous one's.</summary>
    private static void Settle() => Process.Start("sync")!.WaitForExit();

    private static TimeSpan SqliteImport(string work, BatchShape shape, string file)
    {
        Settle();
        var db = Path.Combine(work, "baseline.db");
        var watch = Stopwatch.StartNew();
        var start = new ProcessStartInfo("sqlite3", [db]) { RedirectStandardInput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        process.StandardInput.Write(shape.SqliteTable + "\n" + string.Format(CultureInfo.InvariantCulture, shape.SqliteImport, file) + "\n");
        process.StandardInput.Close();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        watch.Stop();
        if (process.ExitCode != 0 || errors.Length > 0)
        {
            throw new InvalidOperationException("sqlite3 failed: " + errors);
        }

        File.Delete(db);
        return watch.Elapsed;
    }

    private sealed record PlatformRun(TimeSpan Time, TimeSpan Upload, TimeSpan Ingest, TimeSpan StartDelay, long Loaded, long Quarantined, long PeakRss, string Rules)
    {
        /// <summary>Upload to the lake files written, for a dataset with a lake sink.</summary>
        public TimeSpan LakeWritten { get; init; }

        public int LakeFiles { get; init; }

        public long LakeBytes { get; init; }
    }

    private static Task<PlatformProcess> RegisteredAsync(string work, BatchShape shape) =>
        PlatformProcess.StartAsync(Path.Combine(work, "home-" + Guid.NewGuid().ToString("N")[..8]), shape);

    private static async Task<string> UploadAsync(PlatformProcess platform, BatchShape shape, string file)
    {
        await using var content = File.OpenRead(file);
        return (await platform.PostAsync($"/tenants/{shape.Tenant}/datasets/{shape.DatasetName}/files",
            new MultipartFormDataContent { { new StreamContent(content, 1 << 20), "file", Path.GetFileName(file) } })).GetProperty("file_id").GetString()!;
    }

    /// <summary>Uploads the file, asks for a run and waits for the file's outcome; times upload to outcome (and to its lake files written).</summary>
    private static async Task<PlatformRun> PlatformAsync(string work, BatchShape shape, string file, bool lake = false)
    {
        await using var platform = await RegisteredAsync(work, shape);
        Settle();
        var watch = Stopwatch.StartNew();
        var fileId = await UploadAsync(platform, shape, file);
        var uploaded = watch.Elapsed;
        var runId = (await platform.PostAsync($"/tenants/{shape.Tenant}/datasets/{shape.DatasetName}/ingest", null)).GetProperty("run_id").GetString()!;
        var outcome = await OutcomeAsync(platform, shape, fileId);
        var loaded = watch.Elapsed;
        var run = await BenchApi.SendAsync(platform.Http, HttpMethod.Get, $"/tenants/{shape.Tenant}/runs/{runId}", null);
        var (lakeWritten, lakeFiles) = (TimeSpan.Zero, 0);
        if (lake)
        {
            JsonElement sink;
            while ((sink = (await BenchApi.SendAsync(platform.Http, HttpMethod.Get, $"/tenants/{shape.Tenant}/files/{fileId}", null)).GetProperty("sinks").GetProperty("lake"))
                   .GetProperty("status").GetString() != "written")
            {
                await Task.Delay(10);
            }

            (lakeWritten, lakeFiles) = (watch.Elapsed, sink.GetProperty("files").GetInt32());
        }

        watch.Stop();
        var ingest = outcome.GetProperty("finished_at").GetDateTimeOffset() - outcome.GetProperty("started_at").GetDateTimeOffset();
        var lakeBytes = lake ? Directory.EnumerateFiles(Path.Combine(platform.Home, "lake"), "*.parquet", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) : 0;
        return new PlatformRun(loaded, uploaded, ingest, StartDelay(run), outcome.GetProperty("rows_loaded").GetInt64(), outcome.GetProperty("rows_quarantined").GetInt64(),
            platform.PeakResidentBytes(), await QuarantineRulesAsync(platform, shape)) { LakeWritten = lakeWritten, LakeFiles = lakeFiles, LakeBytes = lakeBytes };
    }

    private static async Task<JsonElement> OutcomeAsync(PlatformProcess platform, BatchShape shape, string fileId)
    {
        while (true)
        {
            var file = await BenchApi.SendAsync(platform.Http, HttpMethod.Get, $"/tenants/{shape.Tenant}/files/{fileId}", null);
            var status = file.GetProperty("status").GetString();
            if (status is "loaded" or "partially_loaded" or "failed")
            {
                return status == "failed" ? throw new InvalidOperationException("Ingestion failed: " + file.GetProperty("error").GetString()) : file;
            }

            await Task.Delay(10);
        }
    }

    /// <summary>From the run's request to its start, by the platform's own clock.</summary>
    private static TimeSpan StartDelay(JsonElement run) => run.GetProperty("started_at").GetDateTimeOffset() - run.GetProperty("requested_at").GetDateTimeOffset();

    /// <summary>
    /// Request-to-start delays in milliseconds, sorted, of runs of one-row files asked for one after the other on one
    /// platform, after one run that is not counted (it compiles the run's code).
    /// </summary>
    private static async Task<List<double>> StartDelaysAsync(string work, BatchShape shape, int runs)
    {
        await using var platform = await RegisteredAsync(work, shape);
        var file = Path.Combine(work, "one.csv");
        var delays = new List<double>();
        for (var i = -1; i < runs; i++)
        {
            shape.Generate(file, rows: 1);
            var fileId = await UploadAsync(platform, shape, file);
            var runId = (await platform.PostAsync($"/tenants/{shape.Tenant}/datasets/{shape.DatasetName}/ingest", null)).GetProperty("run_id").GetString()!;
            await OutcomeAsync(platform, shape, fileId);
            JsonElement run;
            while ((run = await BenchApi.SendAsync(platform.Http, HttpMethod.Get, $"/tenants/{shape.Tenant}/runs/{runId}", null)).GetProperty("finished_at").ValueKind == JsonValueKind.Null)
            {
                await Task.Delay(5);
            }

            if (i >= 0)
            {
                delays.Add(StartDelay(run).TotalMilliseconds);
            }
        }

        delays.Sort();
        return delays;
    }

    /// <summary>The tenant's quarantined rows counted by rule, read page by page.</summary>
    private static async Task<string> QuarantineRulesAsync(PlatformProcess platform, BatchShape shape)
    {
        var rules = new SortedDictionary<string, long>(StringComparer.Ordinal);
        string? state = null;
        do
        {
            var page = await BenchApi.SendAsync(platform.Http, HttpMethod.Get,
                $"/tenants/{shape.Tenant}/datasets/{shape.DatasetName}/quarantine?limit=1000" + (state is null ? "" : "&paging_state=" + Uri.EscapeDataString(state)), null);
            foreach (var row in page.GetProperty("rows").EnumerateArray())
            {
                var rule = row.GetProperty("rule").GetString()!;
                rules[rule] = rules.GetValueOrDefault(rule) + 1;
            }

            state = page.GetProperty("paging_state").GetString();
        }
        while (state is not null);

        return rules.Count == 0 ? "none" : string.Join(", ", rules.Select(r => $"{r.Key} {r.Value:N0}"));
    }
}
