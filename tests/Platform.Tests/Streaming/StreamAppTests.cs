using System.Text.Json.Nodes;
using Platform.Tests.Batch;

namespace Platform.Tests.Streaming;

/// <summary>
/// A tenant's stream app (the sample clientstreamingestapp, a real child process): kept running by the
/// platform, it tidies each file dropped into in/ into out/, from where the platform streams it; killed, it is
/// started again and goes on.
/// </summary>
public sealed class StreamAppTests : IAsyncLifetime
{
    private PlatformHost _host = null!;

    public async Task InitializeAsync() => _host = await PlatformHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task FilesAreWrangledByTheTenantsAppThenStreamedAndTheAppComesBackWhenKilled()
    {
        using var t = await _host.TenantAsync("client_a");
        var agreement = Flows.AgreementWithoutApp().With("stream_app", new JsonObject { ["name"] = "clientstreamingestapp" });
        await t.RegisterAsync("client_a", Flows.StreamDatasetA(), agreement);

        Flows.DropFile(_host.Home, "client_a", "in", "messy.csv", MessyFile.Build());
        var rows = await t.WaitForRowsAsync("client_a", "speed_tracking", MessyFile.AfterApp.DistinctRows);
        Assert.Equal(MessyFile.AfterApp.DistinctRows, rows.Count);
        var quarantine = await t.WaitForRowsAsync("client_a", "speed_tracking", (int)MessyFile.AfterApp.Quarantined, what: "quarantine");
        Assert.Equal(MessyFile.AfterApp.ByRule.OrderBy(r => r.Key), quarantine.GroupBy(q => q.GetProperty("rule").GetString()!).Select(g => KeyValuePair.Create(g.Key, g.Count())).OrderBy(r => r.Key));
        Assert.False(File.Exists(Path.Combine(_host.Home, "staging", "client_a", "in", "messy.csv")), "the app removes what it has wrangled");

        var app = await AppProcessAsync();
        app.Kill();
        await app.WaitForExitAsync();
        Flows.DropFile(_host.Home, "client_a", "in", "after-kill.csv", StreamIngestionTests.Readings(77, 25));

        var after = await t.WaitForRowsAsync("client_a", "speed_tracking", MessyFile.AfterApp.DistinctRows + 25);
        Assert.Equal(25, after.Count(r => r.GetProperty("sensor_id").GetInt32() == 77));
        Assert.NotEqual(app.Id, (await AppProcessAsync()).Id);
    }

    /// <summary>This host's running stream app, found by its command line and SOURCE_PATH.</summary>
    private Task<System.Diagnostics.Process> AppProcessAsync()
    {
        var source = "SOURCE_PATH=" + Path.Combine(_host.Home, "staging");
        return Eventually.UntilAsync(() => Task.FromResult(FindApp(source)), app => app is not null, _ => "the stream app is not running")!;
    }

    private static System.Diagnostics.Process? FindApp(string source)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Contains("ClientStreamIngestApp.dll", StringComparison.Ordinal)
                    && File.ReadAllText(Path.Combine(dir, "environ")).Split('\0').Contains(source))
                {
                    return System.Diagnostics.Process.GetProcessById(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                // The process ended while it was looked at.
            }
        }

        return null;
    }
}
