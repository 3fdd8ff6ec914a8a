using Ingestion.Pipeline;

namespace Platform.Tests.Streaming;

/// <summary>
/// The bulk lane that large streamed files and large micro-batches run on: its threads run at nice 10 (Linux), work
/// awaited on it comes back to it, and code it starts on a dedicated thread can lower that thread too.
/// </summary>
public sealed class BulkLaneTests
{
    /// <summary>The calling thread's nice value, from the kernel's own account of it.</summary>
    private static int Nice()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task WorkOnTheLaneRunsAtALowerPriorityAndItsContinuationsStayThere()
    {
        Assert.True(OperatingSystem.IsLinux(), "these figures come from Linux's /proc");
        Assert.Equal(0, Nice());

        // A dedicated thread made elsewhere lowers itself (first: a thread made from a lowered one would inherit that).
        var lowered = await Task.Factory.StartNew(() =>
        {
            var before = Nice();
            BulkLane.LowerCurrentThread();
            return (before, Nice());
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.Equal((0, 10), lowered);

        using var lane = new BulkLane(2);
        var seen = new List<(bool OnLane, int Nice)>();
        await lane.RunAsync(async () =>
        {
            seen.Add((BulkLane.IsCurrent, Nice()));
            await Task.Delay(20);
            seen.Add((BulkLane.IsCurrent, Nice()));
            // A thread made from the lane (a file's parsing thread) starts at the lane's priority: Linux threads inherit it.
            seen.Add((BulkLane.IsCurrent, await Task.Factory.StartNew(Nice, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));
        });

        Assert.Equal([(true, 10), (true, 10), (true, 10)], seen);
    }
}
