using Xunit;

namespace Mysimbdp.Testing;

/// <summary>
/// The one way tests wait for something the platform does in the background: the condition is looked at again
/// every few milliseconds until it holds, and the test fails with what was last seen when it does not hold
/// within the limit. The limit (60 s unless a test says otherwise) only says when to give up on a stuck
/// platform; no test depends on timing inside it. Looks come 5 ms apart at first and at most 50 ms apart, or
/// <c>every</c> apart for a test that must catch a passing state (a file while it is being published).
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(60);

    /// <summary>Looks at <paramref name="probe"/> until <paramref name="done"/> holds for what it returns, and returns that.</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, Func<T, string> failure, TimeSpan? within = null, TimeSpan? every = null)
    {
        var deadline = DateTime.UtcNow + (within ?? DefaultLimit);
        var pause = every ?? TimeSpan.FromMilliseconds(5);
        while (true)
        {
            var seen = await probe();
            if (done(seen))
            {
                return seen;
            }

            Assert.True(DateTime.UtcNow < deadline, failure(seen));
            await Task.Delay(pause);
            pause = every ?? TimeSpan.FromMilliseconds(Math.Min(50, pause.TotalMilliseconds * 2));
        }
    }

    /// <summary>Waits until <paramref name="condition"/> is true.</summary>
    public static Task UntilAsync(Func<Task<bool>> condition, string failure, TimeSpan? within = null, TimeSpan? every = null) =>
        UntilAsync(condition, held => held, _ => failure, within, every);

    /// <summary>Waits until <paramref name="condition"/> is true.</summary>
    public static Task UntilAsync(Func<bool> condition, string failure, TimeSpan? within = null) =>
        UntilAsync(() => Task.FromResult(condition()), held => held, _ => failure, within);
}
