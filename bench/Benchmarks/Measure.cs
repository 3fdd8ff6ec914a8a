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
