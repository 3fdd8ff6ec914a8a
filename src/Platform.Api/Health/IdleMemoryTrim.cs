using System.Runtime.InteropServices;
using Coredms;

namespace Platform.Api.Health;

/// <summary>
/// Gives memory back once a busy spell is over: when the process allocated at least <see cref="BusyBytes"/> since the
/// last trim and then hardly anything for a whole <see cref="Interval"/>, one blocking, compacting full collection
/// in the GC's aggressive mode, which also returns the heap's free regions to the operating system; coredms empties
/// its page caches (<see cref="ICoredms.ReleaseMemory"/>); then, on glibc, <c>malloc_trim</c> returns the native
/// heap's free pages (those caches, librdkafka's buffers).
/// </summary>
/// <remarks>
/// The GC shrinks its heap only when it collects, and an idle process allocates too little to make it collect:
/// after a load of events, the platform kept ~110 MB of anonymous memory for a live heap of 20 MB. The collection
/// runs once per spell, on a heap that is by then mostly free, so it is short (milliseconds).
/// </remarks>
internal sealed class IdleMemoryTrim(ICoredms coredms, ILogger<IdleMemoryTrim> logger) : BackgroundService
{
    private bool _mallocTrim = OperatingSystem.IsLinux();

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>Allocation in an interval under which the process counts as idle (its timers and polls stay far below).</summary>
    public const long IdleBytes = 16L << 20;

    /// <summary>Allocation since the last trim that makes a spell worth trimming after.</summary>
    public const long BusyBytes = 256L << 20;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        var previous = GC.GetTotalAllocatedBytes();
        var sinceTrim = 0L;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = GC.GetTotalAllocatedBytes();
                var spell = now - previous;
                previous = now;
                sinceTrim += spell;
                if (spell < IdleBytes && sinceTrim >= BusyBytes)
                {
                    var before = Environment.WorkingSet;
                    GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                    coredms.ReleaseMemory();
                    TrimNativeHeap();
                    logger.LogDebug("Idle after allocating {Allocated} MB: the working set went from {Before} MB to {After} MB",
                        sinceTrim >> 20, before >> 20, Environment.WorkingSet >> 20);
                    sinceTrim = 0;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void TrimNativeHeap()
    {
        try
        {
            if (_mallocTrim)
            {
                _ = MallocTrim(0); // 1 when it returned memory, 0 when there was none to return
            }
        }
        catch (EntryPointNotFoundException)
        {
            _mallocTrim = false; // not glibc (musl has no malloc_trim)
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
