using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mysimbdp.Cli;
using Spectre.Console.Testing;

namespace Platform.Tests.Cli;

/// <summary>
/// The tenant CLI as tenants run it: its own process (dotnet mysimbdp.dll from the test's folder) against a
/// platform on a real port, with the seed's documents and file as written; progress rendering in-process on
/// Spectre.Console's test console.
/// </summary>
public sealed class CliTests : IAsyncLifetime
{
    private readonly string _config = Path.Combine(Path.GetTempPath(), "mysimbdp-tests", "cli-" + Guid.NewGuid().ToString("N"));
    private PlatformHost _host = null!;

    public async Task InitializeAsync() => _host = await PlatformHost.StartAsync();

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        if (Directory.Exists(_config))
        {
            Directory.Delete(_config, recursive: true);
        }
    }

    private sealed record Outcome(int ExitCode, string Out, string Error)
    {
        public JsonElement Json => JsonDocument.Parse(Out).RootElement;

        public override string ToString() => $"exit {ExitCode}\n{Out}\n{Error}";
    }

    private static ProcessStartInfo StartInfo(string config, string[] args)
    {
        var start = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "mysimbdp.dll"), .. args])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Repo.Root,
        };
        foreach (var name in new[] { "MYSIMBDP_URL", "MYSIMBDP_PROFILE", "MYSIMBDP_CLIENT_SECRET" })
        {
            start.Environment.Remove(name);
        }

        start.Environment["MYSIMBDP_CONFIG_DIR"] = config;
        start.Environment["COLUMNS"] = "300";
        return start;
    }

    /// <summary>Runs the CLI to its end with <paramref name="input"/> on its standard input.</summary>
    private async Task<Outcome> RunWithInputAsync(string? input, params string[] args)
    {
        using var process = Process.Start(StartInfo(_config, args))!;
        await process.StandardInput.WriteAsync(input ?? "");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(limit.Token);
        return new Outcome(process.ExitCode, await output, await error);
    }

    private Task<Outcome> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    private static void Succeeds(Outcome outcome) => Assert.True(outcome.ExitCode == 0, outcome.ToString());

    private async Task<string> CreateTenantAsync(string id)
    {
        using var admin = await _host.AdminAsync();
        var created = await admin.PostAsJsonAsync("/tenants", new { id });
        return (await created.ReadJsonAsync()).GetProperty("client_secret").GetString()!;
    }

    private async Task LoginAsync(string tenant)
    {
        var login = await RunWithInputAsync(await CreateTenantAsync(tenant) + "\n", "login", "--url", _host.BaseAddress.ToString(), "--client-id", tenant, "--secret-stdin");
        Assert.True(login.ExitCode == 0, login.ToString());
    }

    [Fact]
    public async Task ATenantLoadsTheSeedsFilesFromTheCommandLineAndTheExitCodesSayHowEachLoadWent()
    {
        var secret = await CreateTenantAsync("client_a");
        var wrong = await RunWithInputAsync("not-the-secret\n", "login", "--url", _host.BaseAddress.ToString(), "--client-id", "client_a", "--secret-stdin");
        Assert.Equal(ExitCodes.Refused, wrong.ExitCode);
        Assert.Contains("401", wrong.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_config, "profiles.json")), "a refused login was kept as a profile");

        var login = await RunWithInputAsync(secret + "\n", "login", "--url", _host.BaseAddress.ToString(), "--client-id", "client_a", "--secret-stdin");
        Assert.True(login.ExitCode == 0, login.ToString());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_config, "profiles.json")));
        }

        // The seed's documents and file as written.
        Succeeds(await RunAsync("datasets", "apply", "-f", Repo.Path("schemas", "examples", "client_a", "dataset.json")));
        Succeeds(await RunAsync("agreement", "apply", "-f", Repo.Path("schemas", "examples", "client_a", "agreement.json")));
        var datasets = await RunAsync("datasets", "list", "--json");
        Assert.Equal("t8_client_a_tracking", datasets.Json.GetProperty("datasets")[0].GetProperty("physical_keyspace").GetString());

        var upload = await RunAsync("upload", Repo.Path("schemas", "examples", "client_a", "readings.csv"), "--dataset", "speed_tracking", "--json");
        Assert.True(upload.ExitCode == 0, upload.ToString());
        var readings = upload.Json.GetProperty("files")[0].GetProperty("file_id").GetString()!;

        // Two rows of the seed file break the dataset's rules: the run partially succeeds (3), and the summary says why.
        var partial = await RunAsync("ingest", "--dataset", "speed_tracking", "--wait");
        Assert.True(partial.ExitCode == ExitCodes.Partial, partial.ToString());
        Assert.Contains("partially_succeeded", partial.Out, StringComparison.Ordinal);
        Assert.Contains(readings, partial.Out, StringComparison.Ordinal);
        Assert.Contains("below the minimum 0", partial.Out, StringComparison.Ordinal);
        Assert.Contains("does not fit int", partial.Out, StringComparison.Ordinal);

        // A file none of whose rows fit: the run fails (4).
        var bad = Path.Combine(_config, "all-bad.csv");
        Directory.CreateDirectory(_config);
        await File.WriteAllTextAsync(bad, "sensor_id,reading_id,date,time,speed_kmh,lane,vehicle_class,plate_hash\n7,1,2026-03-01,08:00:01,-5,1,car,\n7,2,2026-03-01,08:00:02,-6,1,car,\n");
        Succeeds(await RunAsync("upload", bad, "-d", "speed_tracking"));
        var failed = await RunAsync("ingest", "-d", "speed_tracking", "--wait", "--json");
        Assert.True(failed.ExitCode == ExitCodes.Failed, failed.ToString());
        Assert.Equal("failed", failed.Json.GetProperty("status").GetString());

        var files = (await RunAsync("files", "--json")).Json.GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, f => f.GetProperty("status").GetString());
        Assert.Equal("partially_loaded", files["readings.csv"]);
        Assert.Equal("failed", files["all-bad.csv"]);
        var quarantine = (await RunAsync("quarantine", "-d", "speed_tracking", "--file-id", readings, "--json")).Json.GetProperty("rows");
        Assert.Equal(2, quarantine.GetArrayLength());
        var rows = (await RunAsync("rows", "-d", "speed_tracking", "--key", "sensor_id=101", "--json")).Json.GetProperty("rows");
        Assert.NotEqual(0, rows.GetArrayLength());
        Assert.All(rows.EnumerateArray(), r => Assert.Equal(101, r.GetProperty("sensor_id").GetInt32()));
        var usage = (await RunAsync("usage", "--json")).Json;
        Assert.Equal(2, usage.GetProperty("quotas").GetProperty("files_per_day").GetProperty("used").GetInt64());
        var table = await RunAsync("files");
        Assert.Contains("partially_loaded", table.Out, StringComparison.Ordinal);
        Assert.Contains("│", table.Out, StringComparison.Ordinal);

        // Refusals: the platform's reason on standard error, exit 2, and the other files still go.
        var unknown = await RunAsync("upload", Repo.Path("schemas", "examples", "client_a", "readings.csv"), "-d", "nope");
        Assert.Equal(ExitCodes.Refused, unknown.ExitCode);
        Assert.Contains("no dataset 'nope'", unknown.Error, StringComparison.Ordinal);
        var agreement = Path.Combine(_config, "agreement.json");
        var edited = Repo.Example("client_b", "agreement").With("client", "client_a");
        edited["resources"]!["limits"]!["cpu"] = "1Gi";
        await File.WriteAllTextAsync(agreement, edited.ToJsonString());
        var invalid = await RunAsync("agreement", "apply", "-f", agreement);
        Assert.Equal(ExitCodes.Refused, invalid.ExitCode);
        Assert.Contains("cpu", invalid.Error, StringComparison.Ordinal);
        var badKey = await RunAsync("rows", "-d", "speed_tracking", "--key", "nope=1");
        Assert.Equal(ExitCodes.Refused, badKey.ExitCode);
        Assert.Contains("nope: is not a filter", badKey.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, (await RunAsync("rows", "-d", "speed_tracking", "--key", "sensor_id")).ExitCode);
        Assert.Equal(ExitCodes.Usage, (await RunAsync("ingest")).ExitCode);
    }

    [Fact]
    public async Task ASampleBecomesADatasetAndItsRowsCanBeDeletedReplayedAndTruncated()
    {
        await LoginAsync("lifecycle");
        var configuration = Path.Combine(_config, "readings.json");
        var readings = Repo.Path("schemas", "examples", "client_a", "readings.csv");
        Succeeds(await RunAsync("datasets", "infer", readings, "--out", configuration));
        Succeeds(await RunAsync("datasets", "apply", "-f", configuration));
        var agreement = Path.Combine(_config, "agreement.json");
        await File.WriteAllTextAsync(agreement, Flows.AgreementWithoutApp().With("client", "lifecycle").ToJsonString());
        Succeeds(await RunAsync("agreement", "apply", "-f", agreement));
        Succeeds(await RunAsync("upload", readings, "-d", "readings"));

        // The inferred configuration has no quality rules and a long reading id: every row loads.
        var run = await RunAsync("ingest", "-d", "readings", "--wait", "--json");
        Assert.True(run.ExitCode == ExitCodes.Succeeded, run.ToString());
        Assert.Equal(10, run.Json.GetProperty("rows_loaded").GetInt64());
        Assert.Equal(1, (await RunAsync("datasets", "schemas", "readings", "--json")).Json.GetProperty("versions").GetArrayLength());

        Succeeds(await RunAsync("delete", "-d", "readings", "--key", "sensor_id=101"));
        var rows = (await RunAsync("rows", "-d", "readings", "--json", "--limit", "100")).Json.GetProperty("rows");
        Assert.Equal(7, rows.GetArrayLength());
        Assert.DoesNotContain(rows.EnumerateArray(), r => r.GetProperty("sensor_id").GetInt32() == 101);
        var replay = await RunAsync("replay", "-d", "readings", "--json");
        Succeeds(replay);
        Assert.Equal(0, replay.Json.GetProperty("replayed").GetInt64());

        // The file again, replacing the rows: the deleted ones are back, and the file says how it was loaded.
        var replacing = await RunAsync("upload", readings, "-d", "readings", "--replace", "--json");
        Assert.Equal("replace", replacing.Json.GetProperty("files")[0].GetProperty("mode").GetString());
        Assert.Equal(ExitCodes.Succeeded, (await RunAsync("ingest", "-d", "readings", "--wait")).ExitCode);
        Assert.Equal(10, (await RunAsync("rows", "-d", "readings", "--json", "--limit", "100")).Json.GetProperty("rows").GetArrayLength());

        // Paused, the dataset refuses a run (exit code for a refusal) and says so in its listing; resumed, it runs again.
        var paused = await RunAsync("datasets", "pause", "readings", "--json");
        Assert.Equal("paused", paused.Json.GetProperty("status").GetProperty("state").GetString());
        Assert.Contains("paused", (await RunAsync("datasets", "list")).Out, StringComparison.Ordinal);
        Assert.NotEqual(ExitCodes.Succeeded, (await RunAsync("ingest", "-d", "readings")).ExitCode);
        Succeeds(await RunAsync("datasets", "resume", "readings"));
        Assert.Equal(ExitCodes.Succeeded, (await RunAsync("ingest", "-d", "readings", "--wait")).ExitCode);

        Assert.Equal(ExitCodes.Usage, (await RunAsync("truncate", "-d", "readings")).ExitCode);
        Succeeds(await RunAsync("truncate", "-d", "readings", "--yes"));
        Assert.Equal(0, (await RunAsync("rows", "-d", "readings", "--json")).Json.GetProperty("rows").GetArrayLength());
    }

    [Fact]
    public async Task ADatasetsLakeIsListedAndQueriedFromTheCommandLine()
    {
        await LoginAsync("lake_cli");
        var configuration = Path.Combine(_config, "lake.json");
        await File.WriteAllTextAsync(configuration, Flows.DatasetA().With("sinks", JsonNode.Parse("""[{"type": "lake", "partition_by": "date"}]""")).ToJsonString());
        Succeeds(await RunAsync("datasets", "apply", "-f", configuration));
        var agreement = Path.Combine(_config, "agreement.json");
        await File.WriteAllTextAsync(agreement, Flows.AgreementWithoutApp().With("client", "lake_cli").ToJsonString());
        Succeeds(await RunAsync("agreement", "apply", "-f", agreement));
        Succeeds(await RunAsync("upload", Repo.Path("schemas", "examples", "client_a", "readings.csv"), "-d", "speed_tracking"));
        var loaded = (await RunAsync("ingest", "-d", "speed_tracking", "--wait", "--json")).Json.GetProperty("rows_loaded").GetInt64();
        await Eventually.UntilAsync(async () => (await RunAsync("files", "--json")).Json.GetProperty("files")[0],
            f => f.TryGetProperty("sinks", out var s) && s.ValueKind == JsonValueKind.Object && s.GetProperty("lake").GetProperty("status").GetString() == "written",
            f => $"the lake files were not written: {f}");

        var listing = await RunAsync("lake", "ls", "speed_tracking");
        Succeeds(listing);
        Assert.Contains("date=2026-03-01/hour=00", listing.Out, StringComparison.Ordinal);
        var counted = await RunAsync("lake", "query", "speed_tracking", "SELECT count(*) AS n, max(speed_kmh) AS fastest FROM speed_tracking", "--json");
        Succeeds(counted);
        Assert.Equal(loaded, counted.Json.GetProperty("rows")[0][0].GetInt64());
        var table = await RunAsync("lake", "query", "speed_tracking", "SELECT vehicle_class, count(*) AS n FROM speed_tracking GROUP BY ALL ORDER BY n DESC", "--limit", "2");
        Succeeds(table);
        Assert.Contains("vehicle_class", table.Out, StringComparison.Ordinal);
        Assert.Contains("more were cut", table.Out, StringComparison.Ordinal);
        var refused = await RunAsync("lake", "query", "speed_tracking", "SELECT * FROM read_csv('/etc/passwd')");
        Assert.NotEqual(ExitCodes.Succeeded, refused.ExitCode);
        Assert.Contains("dataset_only", refused.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnExpiredOrRevokedTokenIsRenewedWithTheProfilesCredentials()
    {
        await LoginAsync("renewing");
        var store = new ProfileStore(_config);
        var profile = store.Get("default")!;
        var first = profile.AccessToken;

        // Expired by the clock: renewed before the request.
        profile.ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1);
        store.Save("default", profile);
        Succeeds(await RunAsync("files"));
        var second = store.Get("default")!.AccessToken;
        Assert.NotEqual(first, second);

        // Refused by the platform although the profile thinks it valid: renewed after the 401.
        profile = store.Get("default")!;
        profile.AccessToken = "not-a-token";
        store.Save("default", profile);
        var files = await RunAsync("files", "--json");
        Assert.True(files.ExitCode == 0, files.ToString());
        Assert.NotEqual("not-a-token", store.Get("default")!.AccessToken);

        // A profile whose secret was rotated cannot renew: the platform's 401 and exit 2.
        using (var admin = await _host.AdminAsync())
        {
            Assert.True((await admin.PostAsync("/tenants/renewing/secret", null)).IsSuccessStatusCode);
        }

        var rotated = await RunAsync("files");
        Assert.Equal(ExitCodes.Refused, rotated.ExitCode);
        Assert.Contains("401", rotated.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, (await RunAsync("files", "--profile", "nobody")).ExitCode);
    }

    [Fact]
    public async Task FollowingTheLogPrintsEventsAsTheyHappen()
    {
        await LoginAsync("follower");
        using var tenant = await _host.TenantAsync("follower2");
        Succeeds(await RunAsync("datasets", "apply", "-f", Repo.Path("schemas", "examples", "client_a", "dataset.json")));

        using var process = Process.Start(StartInfo(_config, ["logs", "--follow", "--json", "--action", "file.staged"]))!;
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lines.Enqueue(line);
            }
        };
        process.BeginOutputReadLine();
        try
        {
            // Two uploads, each after the follower has had a poll: both appear, once each, in order.
            var ids = new List<string>();
            for (var i = 0; i < 2; i++)
            {
                var upload = await RunAsync("upload", Repo.Path("schemas", "examples", "client_a", "readings.csv"), "-d", "speed_tracking", "--json");
                ids.Add(upload.Json.GetProperty("files")[0].GetProperty("file_id").GetString()!);
                await Eventually.UntilAsync(() => lines.Count(l => l.Contains(ids[^1], StringComparison.Ordinal)) == 1, $"file {ids[^1]}'s staging was never printed");
            }

            var printed = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
            Assert.All(printed, e => Assert.Equal("file.staged", e.GetProperty("action").GetString()));
            Assert.Equal(ids, printed.Select(e => e.GetProperty("file_id").GetString()).TakeLast(2));
            Assert.Equal(printed.Count, printed.Select(e => e.GetProperty("event_id").GetString()).Distinct().Count());
            Assert.False(process.HasExited, "the follower stopped");
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task AnUploadShowsItsProgressOnATerminal()
    {
        var secret = await CreateTenantAsync("progress");
        var store = new ProfileStore(_config);
        var ui = new TestConsole().Interactive().EmitAnsiSequences().Width(200);
        var error = new StringWriter();

        // A profile with credentials and no token yet: the first request gets one.
        store.Save("default", new Profile { Url = _host.BaseAddress.ToString(), ClientId = "progress", ClientSecret = secret });
        Assert.Equal(0, await CliApp.RunAsync(["datasets", "apply", "-f", Repo.Path("schemas", "examples", "client_a", "dataset.json")], ui, error, store, CancellationToken.None));

        // 8 MB of the seed's rows.
        var file = Path.Combine(_config, "big.csv");
        var lines = File.ReadAllLines(Repo.Path("schemas", "examples", "client_a", "readings.csv"));
        var text = new StringBuilder(lines[0]).Append('\n');
        for (var i = 0; text.Length < 8 << 20; i++)
        {
            text.Append($"{1000 + (i % 50)},{i},2026-03-01,08:00:01,48.2,1,car,9f2c\n");
        }

        await File.WriteAllTextAsync(file, text.ToString());
        var size = new FileInfo(file).Length;
        var before = ui.Output.Length;
        var code = await CliApp.RunAsync(["upload", file, "-d", "speed_tracking"], ui, error, store, CancellationToken.None);
        Assert.True(code == 0, error.ToString());

        // The last frame: the file, a full bar at 100%, and the bytes the upload stream reported as read (the
        // task's value is set from nothing else), in Spectre's units.
        var output = ui.Output[before..];
        Assert.Contains("big.csv", output, StringComparison.Ordinal);
        Assert.Contains("100%", output, StringComparison.Ordinal);
        Assert.Contains($"{size / 1024.0 / 1024.0:0.0} MiB", output, StringComparison.Ordinal);
        Assert.Contains("staged", output, StringComparison.Ordinal);
    }
}
