namespace Coredms;

/// <summary>
/// The platform's "now" for data: TTLs and retention, leases, quota days, timeliness. A type of its own so
/// that tests can move it (days of retention in an instant) without moving the clock the infrastructure
/// runs on: schedulers fire, timers tick and tokens expire by real time. Timers created through it are real.
/// </summary>
public sealed class DataClock(TimeProvider time) : TimeProvider
{
    /// <summary>Real time: what the platform runs on outside tests.</summary>
    public static readonly DataClock Real = new(TimeProvider.System);

    public override DateTimeOffset GetUtcNow() => time.GetUtcNow();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        TimeProvider.System.CreateTimer(callback, state, dueTime, period);
}
