using System.Diagnostics;
using System.Globalization;

namespace Ingestion.Claims;

/// <summary>
/// Who holds a claim: host, process id and process start time. A claim held by a process of this host that
/// no longer runs (the platform was killed and restarted) can be taken over at once; other hosts' claims
/// only once their lease has expired.
/// </summary>
public sealed class WorkerIdentity
{
    public WorkerIdentity()
    {
        using var self = Process.GetCurrentProcess();
        Id = Format(Environment.MachineName, self.Id, self.StartTime.ToUniversalTime().Ticks);
    }

    public string Id { get; }

    public static string Format(string host, int pid, long startTicks) => $"{host}:{pid}:{startTicks.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>True when the owner is a process of this host that is gone (or a different process now has its pid).</summary>
    public static bool IsDeadHereOrGone(string? owner)
    {
        var parts = owner?.Split(':');
        if (parts is not [var host, var pidText, var startText] || host != Environment.MachineName
            || !int.TryParse(pidText, CultureInfo.InvariantCulture, out var pid) || !long.TryParse(startText, CultureInfo.InvariantCulture, out var start))
        {
            return false;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return process.StartTime.ToUniversalTime().Ticks != start;
        }
        catch (ArgumentException)
        {
            return true;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }
}
