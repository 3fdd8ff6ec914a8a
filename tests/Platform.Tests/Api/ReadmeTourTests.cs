using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Platform.Tests.Api;

/// <summary>
/// The README's tour, run as written: the bash blocks of the "Five-minute tour" section, in order,
/// against a real host whose admin secret was generated on first start. In the first block curl is made to
/// fail on HTTP errors so that a broken step fails the test; the second is the same through the tenant CLI; the
/// later blocks show refusals on purpose. The first two run twice, as a reader may.
/// </summary>
public sealed partial class ReadmeTourTests
{
    [GeneratedRegex(@"```bash\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex BashBlock();

    public static List<string> TourBlocks()
    {
        var readme = File.ReadAllText(Repo.Path("README.md"));
        var start = readme.IndexOf("## Five-minute tour", StringComparison.Ordinal);
        var end = readme.IndexOf("\n## ", start + 5, StringComparison.Ordinal);
        var section = readme[start..(end < 0 ? readme.Length : end)];
        return BashBlock().Matches(section).Select(m => m.Groups[1].Value).ToList();
    }

    [Fact]
    public async Task TheTourWorksAsWritten()
    {
        await using var host = await PlatformHost.StartAsync(new Dictionary<string, string?> { ["Auth:AdminSecret"] = "" });
        var blocks = TourBlocks();
        Assert.Contains("datasets/speed_tracking/files", blocks[0]);
        Assert.Contains("./mysimbdp login", blocks[1]);
        var script = "set -euo pipefail\ncurl() { command curl --fail-with-body \"$@\"; }\n" + blocks[0] + "\necho '--- again'\n" + blocks[0] +
            "\necho '--- cli'\n" + blocks[1] + "\necho '--- cli again'\n" + blocks[1] +
            "\nunset -f curl\necho '--- refusals'\n" + string.Join("\n", blocks.Skip(2));
        var config = Path.Combine(host.Home, "cli-config");

        var (exit, output) = await RunBashAsync(script, new Dictionary<string, string>
        {
            ["MYSIMBDP_URL"] = host.BaseAddress.ToString().TrimEnd('/'),
            ["MYSIMBDP_HOME"] = host.Home,
            ["MYSIMBDP_CONFIG_DIR"] = config,
        });

        Assert.True(exit == 0, output);
        Assert.Contains("\"physical_keyspace\": \"t8_client_a_tracking\"", output);
        Assert.Contains("\"name\": \"readings.csv\"", output);
        Assert.Contains("\"status\": \"staged\"", output);
        Assert.Contains("\"status\": \"partially_succeeded\"", output);
        Assert.Contains("does not fit int", output);
        Assert.Contains("validity: 9 is above the maximum 5", output);
        Assert.Contains("\"accepted\": 1", output);
        Assert.Contains("\"rejected\": 1", output);
        Assert.Contains("\"speed_kmh\": 52.5", output);
        Assert.Matches("\"dataset\": \"live_speed\",\\s*\"name\": \"readings.csv\",\\s*\"mode\": \"append\",\\s*\"status\": \"partially_loaded\"", output);
        Assert.Contains("\"rule\": \"kubernetes_cpu_quantity\"", output[output.IndexOf("--- refusals", StringComparison.Ordinal)..]);

        // The second run, on the same platform, does it all again.
        var again = output[output.IndexOf("--- again", StringComparison.Ordinal)..output.IndexOf("--- refusals", StringComparison.Ordinal)];
        Assert.Contains("\"status\": \"partially_succeeded\"", again);
        Assert.Contains("\"accepted\": 1", again);
        Assert.Matches("\"dataset\": \"live_speed\",\\s*\"name\": \"readings.csv\",\\s*\"mode\": \"append\",\\s*\"status\": \"partially_loaded\"", again);

        // The CLI's part, both times: the run's summary with its reasons, and exit 3 for a partial load.
        foreach (var (from, to) in new[] { ("--- cli", "--- cli again"), ("--- cli again", "--- refusals") })
        {
            var cli = output[output.IndexOf(from + "\n", StringComparison.Ordinal)..output.IndexOf(to + "\n", StringComparison.Ordinal)];
            Assert.Contains("Logged in to", cli);
            Assert.Contains("Top quarantine reasons", cli);
            Assert.Contains("below the minimum 0", cli);
            Assert.Contains("exit 3", cli);
            Assert.Contains("\"files_per_day\"", cli);
        }
    }

    /// <summary>The README's run command keeps the platform's data in the repository's .mysimbdp, where the tour reads the admin secret.</summary>
    [Fact]
    public async Task TheRunCommandPutsTheHomeWhereTheTourLooks()
    {
        // A dotnet that reports the home it was given stands in for the real one.
        const string script = """
            stub=$(mktemp -d)
            printf '#!/usr/bin/env bash\necho "home=$MYSIMBDP_HOME args=$*"\n' > "$stub/dotnet"
            chmod +x "$stub/dotnet"
            unset MYSIMBDP_HOME MYSIMBDP_URL
            PATH="$stub:$PATH" ./mysimbdp run
            MYSIMBDP_URL=http://127.0.0.1:5090 PATH="$stub:$PATH" ./mysimbdp run
            ./mysimbdp help | head -1
            ./mysimbdp --help >/dev/null
            rm -rf "$stub"
            """;
        var (exit, output) = await RunBashAsync(script, []);

        Assert.True(exit == 0, output);
        Assert.Contains("home=" + Path.Combine(Repo.Root, ".mysimbdp"), output);
        Assert.Contains("-- --urls http://127.0.0.1:5090", output);
        Assert.Contains("usage: ./mysimbdp <command>", output);
    }

    private static async Task<(int Exit, string Output)> RunBashAsync(string script, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("bash", ["-c", script])
        {
            WorkingDirectory = Repo.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        output.Append(await stdout).Append(await stderr);
        return (process.ExitCode, output.ToString());
    }
}
