using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Benchmarks;

/// <summary>
/// Batch ingestion: a tenant-A-shaped CSV from upload to "loaded" through the platform (full validation:
/// types, enum, nullability, quality rules), against the sqlite3 CLI's .import of the same file into a WITHOUT
/// ROWID table with the same primary key, in the same run; then the same with 5% bad rows; then the platform's
/// peak resident memory while it ingests a 1 GB file.
/// </summary>
internal static class BatchBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rows = Measure.Option(args, "--rows", 1_000_000);
        var bigMb = Measure.Option(args, "--big-mb", 1024);
        var root = Measure.RepoRoot();
        var work = Directory.CreateTempSubdirectory("mysimbdp-bench-").FullName;
        try
        {
            var clean = Path.Combine(work, "clean.csv");
            var dirty = Path.Combine(work, "dirty.csv");
            Generate(clean, rows, badShare: 0);
            Generate(dirty, rows, badShare: 0.05);
            var size = new FileInfo(clean).Length;

            var sqlite = SqliteImport(work, clean);
            var ours = await PlatformAsync(root, work, "clean", clean);
            var oursDirty = await PlatformAsync(root, work, "dirty", dirty);

            Console.WriteLine($"Batch ingestion, tenant A shape: {rows:N0} rows, {size / 1e6:F1} MB CSV, primary key (sensor_id, reading_id) in random order");
            Console.WriteLine($"{"",-52}{"seconds",10}{"rows/s",14}{"ratio",10}");
            Console.WriteLine($"{"sqlite3 CLI .import (no validation)",-52}{sqlite.TotalSeconds,10:F2}{Measure.Rate(rows, sqlite),14}{"1.00x",10}");
            Console.WriteLine($"{"mysimbdp upload -> loaded, clean file",-52}{ours.Time.TotalSeconds,10:F2}{Measure.Rate(rows, ours.Time),14}{sqlite / ours.Time,9:F2}x   (target >= 1.5x sqlite3)");
            Console.WriteLine($"{"mysimbdp upload -> loaded, 5% bad rows quarantined",-52}{oursDirty.Time.TotalSeconds,10:F2}{Measure.Rate(rows, oursDirty.Time),14}{ours.Time / oursDirty.Time,9:F2}x   (target >= 0.80x the clean file)");
            Console.WriteLine($"  clean: {ours.Loaded:N0} loaded (upload {ours.Upload.TotalSeconds:F2} s of it); 5% bad: {oursDirty.Loaded:N0} loaded, {oursDirty.Quarantined:N0} quarantined (upload {oursDirty.Upload.TotalSeconds:F2} s)");
            File.Delete(clean);
            File.Delete(dirty);

            if (bigMb > 0)
            {
                var big = Path.Combine(work, "big.csv");
                var bigRows = Generate(big, targetBytes: bigMb * 1024L * 1024, badShare: 0);
                var run = await PlatformAsync(root, work, "big", big);
                Console.WriteLine($"mysimbdp, {new FileInfo(big).Length / 1e9:F2} GB file ({bigRows:N0} rows): {run.Time.TotalSeconds:F1} s, {Measure.Rate(bigRows, run.Time)} rows/s, " +
                    $"peak RSS {run.PeakRss / (1024.0 * 1024):F0} MB (target <= 300 MB)");
            }

            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static readonly string[] Classes = ["car", "truck", "bus", "motorcycle", "other"];

    /// <summary>Writes rows until <paramref name="rows"/> or <paramref name="targetBytes"/>; a share of them bad in the ways real files are.</summary>
    private static long Generate(string path, long rows = long.MaxValue, double badShare = 0, long targetBytes = long.MaxValue)
    {
        var random = new Random(42);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 20);
        writer.Write("sensor_id,reading_id,date,time,speed_kmh,lane,vehicle_class,plate_hash\n");
        long written = 0;
        for (long i = 1; i <= rows && stream.Position < targetBytes; i++)
        {
            var bad = random.NextDouble() < badShare;
            var kind = bad ? random.Next(4) : -1;
            writer.Write(random.Next(1, 5001));
            writer.Write(',');
            writer.Write(kind == 0 ? "1700000000123" : i.ToString(CultureInfo.InvariantCulture));
            writer.Write(",2026-03-");
            writer.Write((1 + random.Next(28)).ToString("D2", CultureInfo.InvariantCulture));
            writer.Write(kind == 1 ? ",8.05.09," : $",{random.Next(24):D2}:{random.Next(60):D2}:{random.Next(60):D2},");
            writer.Write(kind == 2 ? "-3.5" : (random.NextDouble() * 130).ToString("F2", CultureInfo.InvariantCulture));
            writer.Write(random.Next(4) == 0 ? "," : $",{random.Next(1, 4)}");
            writer.Write(',');
            writer.Write(kind == 3 ? "spaceship" : Classes[random.Next(Classes.Length)]);
            writer.Write(random.Next(3) == 0 ? ",\n" : $",{random.Next():x8}\n");
            written++;
        }

        return written;
    }

    /// <summary>Flushes the page cache's pending writes, so that no timed phase pays for the previous one's.</summary>
    private static void Settle() => Process.Start("sync")!.WaitForExit();

    private static TimeSpan SqliteImport(string work, string csv)
    {
        Settle();
        var db = Path.Combine(work, "baseline.db");
        var script = Path.Combine(work, "import.sql");
        File.WriteAllText(script,
            "CREATE TABLE speedreading (sensor_id INTEGER NOT NULL, reading_id INTEGER NOT NULL, date TEXT, time TEXT, speed_kmh REAL, lane INTEGER, " +
            "vehicle_class TEXT, plate_hash TEXT, PRIMARY KEY (sensor_id, reading_id)) WITHOUT ROWID;\n" +
            $".import --csv --skip 1 '{csv}' speedreading\n");
        var watch = Stopwatch.StartNew();
        var start = new ProcessStartInfo("sqlite3", [db]) { RedirectStandardInput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        process.StandardInput.Write(File.ReadAllText(script));
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

    private sealed record PlatformRun(TimeSpan Time, TimeSpan Upload, long Loaded, long Quarantined, long PeakRss);

    private static async Task<PlatformRun> PlatformAsync(string root, string work, string name, string csv)
    {
        await using var platform = await PlatformProcess.StartAsync(Path.Combine(work, "home-" + name));
        await BenchApi.RegisterTenantAAsync(platform.Http, root, "bench", dataset => dataset["max_file_size_mb"] = 4096);

        Settle();
        var watch = Stopwatch.StartNew();
        string fileId;
        await using (var content = File.OpenRead(csv))
        {
            fileId = (await platform.PostAsync("/tenants/bench/datasets/speed_tracking/files", new MultipartFormDataContent { { new StreamContent(content, 1 << 20), "file", "readings.csv" } }))
                .GetProperty("file_id").GetString()!;
        }

        var uploaded = watch.Elapsed;
        await platform.PostAsync("/tenants/bench/datasets/speed_tracking/ingest", null);
        while (true)
        {
            var file = JsonDocument.Parse(await platform.Http.GetStringAsync($"/tenants/bench/files/{fileId}")).RootElement;
            var status = file.GetProperty("status").GetString();
            if (status is "loaded" or "partially_loaded" or "failed")
            {
                watch.Stop();
                if (status == "failed")
                {
                    throw new InvalidOperationException("Ingestion failed: " + file.GetProperty("error").GetString());
                }

                return new PlatformRun(watch.Elapsed, uploaded, file.GetProperty("rows_loaded").GetInt64(), file.GetProperty("rows_quarantined").GetInt64(), platform.PeakResidentBytes());
            }

            await Task.Delay(20);
        }
    }
}
