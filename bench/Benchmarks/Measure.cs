using System.Diagnostics;
using System.Globalization;

namespace Benchmarks;

/// <summary>Times an action: one warm-up run, then the median of several.</summary>
internal static class Measure
{
    public static TimeSpan Median(int runs, Action action)
    {
        action();
        var times = new List<TimeSpan>();
        for (var i = 0; i < runs; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var watch = Stopwatch.StartNew();
            action();
            times.Add(watch.Elapsed);
        }

        times.Sort();
        return times[times.Count / 2];
    }

    public static string Rate(double count, TimeSpan time) => (count / time.TotalSeconds).ToString("N0", CultureInfo.InvariantCulture);

    public static string MegabytesPerSecond(long bytes, TimeSpan time) => (bytes / 1e6 / time.TotalSeconds).ToString("N1", CultureInfo.InvariantCulture);

    public static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    public static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>The messages of the error and fatal events in the platform's JSON log files under <paramref name="home"/>.</summary>
    public static List<string> LogErrors(string home)
    {
        var errors = new List<string>();
        foreach (var line in Directory.EnumerateFiles(Path.Combine(home, "logs"), "*.json").SelectMany(File.ReadLines))
        {
            using var e = System.Text.Json.JsonDocument.Parse(line);
            if (e.RootElement.GetProperty("log.level").GetString() is "error" or "fatal")
            {
                errors.Add(e.RootElement.GetProperty("message").GetString() ?? "");
            }
        }

        return errors;
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mysimbdp.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Run from the repository.");
    }
}
