using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Ingestion.Pipeline;

/// <summary>
/// Where large streamed files are read and large micro-batches written: threads of their own that the operating system
/// runs at a lower priority (Linux nice 10), so that while a tenant floods the platform with large files, a tenant's
/// small file (the kind whose latency matters) gets the cores first, and the flood takes whatever they leave. With nothing else to run the flood
/// goes at full speed. Work is queued to the lane as a <see cref="TaskScheduler"/>: the file's await continuations come
/// back to it, and a file's parsing thread lowers itself when started from it (<see cref="LowerCurrentThread"/>).
/// Elsewhere than Linux the threads keep the normal priority. Measured by <c>bench stream --noisy-neighbour</c>.
/// Linux threads inherit the priority of the thread that makes them: a thread the .NET pool happens to add while a
/// lane thread queues work to it runs at the lane's priority until it retires (seen nowhere in the benchmark's
/// samples of the process's threads, but possible).
/// </summary>
public sealed class BulkLane : TaskScheduler, IDisposable
{
    private const int Nice = 10;

    private readonly BlockingCollection<Task> _queue = [];
    private readonly Thread[] _threads;

    public BulkLane(int threads)
    {
        _threads = Enumerable.Range(0, threads).Select(i => new Thread(Run) { IsBackground = true, Name = $"mysimbdp bulk {i}" }).ToArray();
        foreach (var thread in _threads)
        {
            thread.Start();
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the lane and completes with it. The caller goes on in the shared pool, not on the
    /// lane thread that finished the work (which would keep the caller at the lane's priority).
    /// </summary>
    public async Task RunAsync(Func<Task> work) =>
        await Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, this).Unwrap().ConfigureAwait(ConfigureAwaitOptions.ForceYielding);

    public override int MaximumConcurrencyLevel => _threads.Length;

    /// <summary>True when the calling code runs on a bulk lane.</summary>
    public static bool IsCurrent => Current is BulkLane;

    /// <summary>Lowers the calling thread's priority to the lane's: for a dedicated thread that does a lane's work. Best effort.</summary>
    public static void LowerCurrentThread()
    {
        if (OperatingSystem.IsLinux())
        {
            _ = SetPriority(0, Gettid(), Nice);
        }
    }

    private void Run()
    {
        LowerCurrentThread();
        foreach (var task in _queue.GetConsumingEnumerable())
        {
            TryExecuteTask(task);
        }
    }

    protected override void QueueTask(Task task) => _queue.Add(task);

    // Inlining would run the lane's work on the caller's (normal priority) thread.
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => false;

    protected override IEnumerable<Task> GetScheduledTasks() => _queue.ToArray();

    public void Dispose() => _queue.CompleteAdding();

    [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static extern int SetPriority(int which, int who, int priority);

    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int Gettid();
}
