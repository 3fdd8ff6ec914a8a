using System.Diagnostics;
using Catalog.Files;
using IngestionLog;
using Microsoft.Extensions.Logging;

namespace Ingestion.Apps;

/// <summary>What a tenant app's run came to.</summary>
public sealed record AppOutcome(bool Succeeded, int? ExitCode, string? Error, long PeakMemoryBytes, TimeSpan Took);

/// <summary>
/// Runs a tenant's batch app as a child process: <c>CLIENT_ID</c> and <c>SOURCE_PATH</c> set (and nothing of
/// the platform's own environment, so no secret leaks to tenant code), its output captured line by line into
/// the tenant's log, killed (with its children) when it outlives its time limit or its resident memory passes
/// the agreement's memory limit. Memory is sampled every <see cref="SampleEvery"/>.
/// </summary>
public sealed class TenantAppRunner(StagingArea staging, ILogger<TenantAppRunner> logger)
{
    public static readonly TimeSpan SampleEvery = TimeSpan.FromMilliseconds(50);
    private const int MaxLoggedLines = 10_000;

    public async Task<AppOutcome> RunAsync(string tenant, string runId, string appName, AppCommand app, TimeSpan? timeout, long memoryLimitBytes, CancellationToken ct)
    {
        var start = new ProcessStartInfo(app.Command, app.Arguments)
        {
            WorkingDirectory = staging.Tenant(tenant),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment.Clear();
        foreach (var name in new[] { "PATH", "HOME", "DOTNET_ROOT", "TMPDIR" })
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                start.Environment[name] = value;
            }
        }

        start.Environment["LANG"] = "C.UTF-8";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["CLIENT_ID"] = tenant;
        start.Environment["SOURCE_PATH"] = staging.Root;
        start.Environment["MYSIMBDP_RUN_ID"] = runId;
        Directory.CreateDirectory(staging.Tenant(tenant));

        var watch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        var lines = 0;
        void Output(string stream, string? line)
        {
            if (line is null || Interlocked.Increment(ref lines) > MaxLoggedLines)
            {
                return;
            }

            logger.IngestionEvent(IngestionEvents.AppOutput, "{EventAction}: {TenantId} {AppName} {Stream}: {Line}",
                tenant, appName, stream, line.Length > 2000 ? line[..2000] + "…" : line);
        }

        process.OutputDataReceived += (_, e) => Output("stdout", e.Data);
        process.ErrorDataReceived += (_, e) => Output("stderr", e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return Finish(new AppOutcome(false, null, $"the app '{appName}' could not be started: {e.Message}", 0, watch.Elapsed));
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        long peak = 0;
        string? killedFor = null;
        var deadline = timeout is { } limit ? DateTime.UtcNow + limit : DateTime.MaxValue;
        var exited = process.WaitForExitAsync(CancellationToken.None);
        while (!exited.IsCompleted)
        {
            process.Refresh();
            try
            {
                peak = Math.Max(peak, process.WorkingSet64);
            }
            catch (InvalidOperationException)
            {
            }

            if (peak > memoryLimitBytes)
            {
                killedFor = $"the app used {peak / (1024 * 1024)} MiB, over the agreement's memory limit of {memoryLimitBytes / (1024 * 1024)} MiB; it was killed";
                break;
            }

            if (DateTime.UtcNow >= deadline)
            {
                killedFor = $"the app ran longer than its time limit of {timeout!.Value.TotalSeconds:G} s; it was killed";
                break;
            }

            if (ct.IsCancellationRequested)
            {
                killedFor = "the platform is stopping; the app was killed";
                break;
            }

            await Task.WhenAny(exited, Task.Delay(SampleEvery, CancellationToken.None));
        }

        if (killedFor is not null)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }

            await exited;
            return Finish(new AppOutcome(false, null, killedFor, peak, watch.Elapsed));
        }

        await exited;
        process.WaitForExit();
        return Finish(process.ExitCode == 0
            ? new AppOutcome(true, 0, null, peak, watch.Elapsed)
            : new AppOutcome(false, process.ExitCode, $"the app exited with code {process.ExitCode}", peak, watch.Elapsed));

        AppOutcome Finish(AppOutcome outcome)
        {
            logger.IngestionEvent(IngestionEvents.AppFinished, outcome.Succeeded ? LogLevel.Information : LogLevel.Warning,
                "{EventAction}: {TenantId} {AppName} in run {RunId}: {AppResult} after {EventDuration} ms, peak memory {PeakMemoryBytes} bytes",
                tenant, appName, runId, outcome.Error ?? "succeeded", (long)outcome.Took.TotalMilliseconds, outcome.PeakMemoryBytes);
            return outcome;
        }
    }
}
