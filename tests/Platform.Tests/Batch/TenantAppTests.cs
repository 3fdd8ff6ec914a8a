using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics;
using System.Text.Json;

namespace Platform.Tests.Batch;

public sealed class TenantAppTests : IAsyncLifetime
{
    private PlatformHost _host = null!;

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable("MYSIMBDP_TEST_SENTINEL", "platform-only");
        _host = await PlatformHost.StartAsync(new Dictionary<string, string?>
        {
            ["Apps:sleeper:Command"] = "sleep",
            ["Apps:sleeper:Arguments:0"] = "60",
            ["Apps:hog:Command"] = "perl",
            ["Apps:hog:Arguments:0"] = "-e",
            ["Apps:hog:Arguments:1"] = "my $x = 'a' x 400_000_000; sleep 60",
            ["Apps:envdump:Command"] = "bash",
            ["Apps:envdump:Arguments:0"] = "-c",
            ["Apps:envdump:Arguments:1"] = "mkdir -p \"$SOURCE_PATH/$CLIENT_ID/out\" && env > \"$SOURCE_PATH/$CLIENT_ID/out/env.txt\" && echo done",
            ["Apps:slowcopy:Command"] = "bash",
            ["Apps:slowcopy:Arguments:0"] = "-c",
            ["Apps:slowcopy:Arguments:1"] = "sleep 5 && mkdir -p \"$SOURCE_PATH/$CLIENT_ID/out\" && cp -r \"$SOURCE_PATH/$CLIENT_ID/in/.\" \"$SOURCE_PATH/$CLIENT_ID/out/\"",
            ["Claims:LeaseSeconds"] = "2",
        });
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<(HttpClient Tenant, string FileId)> Prepare(string tenant, string app, int timeout, string memoryLimit = "512Mi")
    {
        var t = await _host.TenantAsync(tenant);
        var agreement = Flows.AgreementWithoutApp()
            .With("batch_app", new System.Text.Json.Nodes.JsonObject { ["name"] = app, ["timeout_seconds"] = timeout })
            .With("resources.limits.memory", memoryLimit)
            .With("resources.requests.memory", "32Mi");
        await t.RegisterAsync(tenant, Flows.DatasetA(), agreement);
        return (t, await t.UploadAsync(tenant, "speed_tracking", "a.csv", MessyFile.Build()));
    }

    [Fact]
    public async Task ClaimsAreKeptWhileTheAppWorksLongerThanALease()
    {
        var (t, fileId) = await Prepare("slow_copy", "slowcopy", timeout: 60);
        using var _ = t;
        var catalog = _host.Services.GetRequiredService<Catalog.Files.FileCatalog>();
        var response = await t.PostAsync("/tenants/slow_copy/datasets/speed_tracking/ingest", null);
        var runId = (await response.ReadJsonAsync()).GetProperty("run_id").GetString()!;

        // The app takes 5 s, the lease is 2 s: without renewal the claim would lapse and the file be claimable by another worker.
        var checks = 0;
        while (JsonDocument.Parse(await t.GetStringAsync($"/tenants/slow_copy/runs/{runId}")).RootElement.GetProperty("status").GetString() is "requested" or "running")
        {
            var file = await catalog.GetAsync("slow_copy", fileId, CancellationToken.None);
            if (file!.Status == "processing")
            {
                checks++;
                Assert.True(file.LeaseUntil > DateTimeOffset.UtcNow, $"the claim lapsed at {file.LeaseUntil:O} while the run worked");
            }

            await Task.Delay(100);
        }

        Assert.True(checks > 30, $"only {checks} checks while the file was claimed");
        Assert.Equal("partially_loaded", (await t.FileAsync("slow_copy", fileId)).GetProperty("status").GetString());
    }

    [Fact]
    public void AppsRunWithTheirConfiguredArgumentsOnce()
    {
        var apps = _host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Ingestion.Apps.AppsOptions>>().Value.Apps;
        Assert.Equal(["-e", "my $x = 'a' x 400_000_000; sleep 60"], apps["hog"].Arguments);
        Assert.Equal(["60"], apps["sleeper"].Arguments);
        Assert.Equal(["exec", Path.Combine(AppContext.BaseDirectory, "ClientBatchIngestApp.dll")], apps["clientbatchingestapp"].Arguments);
    }

    [Fact]
    public async Task AnAppThatOutlivesItsTimeLimitIsKilledAndItsFilesWaitStaged()
    {
        var (t, fileId) = await Prepare("slow_app", "sleeper", timeout: 1);
        using var _ = t;
        var watch = Stopwatch.StartNew();
        var run = await t.IngestAndWaitAsync("slow_app", "speed_tracking");

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"the app was not stopped: {watch.Elapsed}");
        Assert.Equal("failed", run.GetProperty("status").GetString());
        Assert.Contains("ran longer than its time limit of 1 s; it was killed", run.GetProperty("error").GetString());
        var file = await t.FileAsync("slow_app", fileId);
        Assert.Equal("staged", file.GetProperty("status").GetString());
        Assert.Contains("time limit", file.GetProperty("error").GetString());
    }

    [Fact]
    public async Task AnAppThatPassesTheMemoryLimitIsKilledAndReported()
    {
        var (t, fileId) = await Prepare("hungry_app", "hog", timeout: 120, memoryLimit: "64Mi");
        using var _ = t;
        var watch = Stopwatch.StartNew();
        var run = await t.IngestAndWaitAsync("hungry_app", "speed_tracking", TimeSpan.FromSeconds(90));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(45), $"the app was not stopped: {watch.Elapsed}");
        Assert.Equal("failed", run.GetProperty("status").GetString());
        Assert.Contains("over the agreement's memory limit of 64 MiB; it was killed", run.GetProperty("error").GetString());
        Assert.Equal("staged", (await t.FileAsync("hungry_app", fileId)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task AppsGetClientIdAndSourcePathAndNothingOfThePlatformsEnvironment()
    {
        var (t, fileId) = await Prepare("env_app", "envdump", timeout: 30);
        using var _ = t;
        await t.IngestAndWaitAsync("env_app", "speed_tracking");

        var env = File.ReadAllLines(Path.Combine(_host.Home, "staging", "env_app", "out", "env.txt"));
        Assert.Contains("CLIENT_ID=env_app", env);
        Assert.Contains($"SOURCE_PATH={Path.Combine(_host.Home, "staging")}", env);
        Assert.DoesNotContain(env, line => line.Contains("platform-only", StringComparison.Ordinal));
        var file = await t.FileAsync("env_app", fileId);
        Assert.Equal("failed", file.GetProperty("status").GetString());
        Assert.Equal("the batch app 'envdump' wrote no output for this file", file.GetProperty("error").GetString());
    }

    [Fact]
    public async Task AnAppThePlatformDoesNotProvideIsReported()
    {
        var (t, fileId) = await Prepare("unknown_app", "nosuchapp", timeout: 30);
        using var _ = t;
        var run = await t.IngestAndWaitAsync("unknown_app", "speed_tracking");
        Assert.Contains("names the batch app 'nosuchapp', which this platform does not provide", run.GetProperty("error").GetString());
        Assert.Equal("staged", (await t.FileAsync("unknown_app", fileId)).GetProperty("status").GetString());
    }
}
