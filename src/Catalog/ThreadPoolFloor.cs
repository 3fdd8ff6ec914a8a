namespace Catalog;

/// <summary>
/// The thread pool's floor for the platform's processes. SQLite writes block a pool thread each for a transaction
/// (a keyspace's shards write in parallel), so with the default floor of one thread per core a tenant that floods
/// the platform holds every pool thread, and everyone else's requests and continuations wait while the pool grows,
/// which it does slowly. Measured with <c>bench stream --noisy-neighbour</c> on two cores: a small tenant's p99
/// rename-to-readable went from 172 ms to 105 ms under the same flood with a floor of 16.
/// </summary>
public static class ThreadPoolFloor
{
    public static void Raise()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        var floor = Math.Max(16, 8 * Environment.ProcessorCount);
        if (workers < floor)
        {
            ThreadPool.SetMinThreads(floor, io);
        }
    }
}
