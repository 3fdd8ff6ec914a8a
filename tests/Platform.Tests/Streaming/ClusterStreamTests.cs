using System.Diagnostics;
using System.Net;
using System.Text;

namespace Platform.Tests.Streaming;

/// <summary>
/// The cluster mode's stream path with separate processes: the API (Platform:Mode cluster, no managers inside)
/// publishes events to Kafka, and the stream manager running alone consumes them and watches staging.
/// </summary>
public sealed class ClusterStreamTests
{
    [Fact]
    public async Task TheApiPublishesAndTheStreamManagerAloneWritesAndWatches()
    {
        using var cluster = new StreamIngestManager.Transport.Kafka.MockKafkaCluster(3);
        var home = Directory.CreateTempSubdirectory("mysimbdp-cluster-").FullName;
        var environment = new Dictionary<string, string>
        {
            ["Platform__Mode"] = "cluster",
            ["Transport__Engine"] = "kafka",
            ["Transport__Kafka__BootstrapServers"] = cluster.BootstrapServers,
            ["Transport__Kafka__CreateTopics"] = "false",
            ["Serilog__MinimumLevel__Default"] = "Warning",
        };
        using var manager = StartManager(home, environment);
        try
        {
            await using var api = await ChildHost.StartAsync(home, environment);
            using var admin = await api.AdminAsync();
            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync("/tenants", Repo.Body(new System.Text.Json.Nodes.JsonObject { ["id"] = "apart" }))).StatusCode);
            await admin.RegisterAsync("apart", Flows.StreamDatasetA(), Flows.AgreementWithoutApp());

            var events = string.Join('\n', Enumerable.Range(1, 300).Select(i =>
                $$"""{"sensor_id": 1, "reading_id": {{i}}, "date": "2026-03-01", "time": "08:00:00", "speed_kmh": 50, "vehicle_class": "car"}"""));
            var response = await admin.PostAsync("/tenants/apart/datasets/speed_tracking/events", new StringContent(events, Encoding.UTF8, "application/x-ndjson"));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Flows.DropFile(home, "apart", "in", "dropped.csv", StreamIngestionTests.Readings(2, 700));

            var rows = await admin.WaitForRowsAsync("apart", "speed_tracking", 1000, TimeSpan.FromSeconds(90));
            Assert.Equal(1000, rows.Select(r => (r.GetProperty("sensor_id").GetInt32(), r.GetProperty("reading_id").GetInt32())).Distinct().Count());
            Assert.False(manager.HasExited, "the stream manager stopped");
        }
        finally
        {
            manager.Kill(entireProcessTree: true);
            await manager.WaitForExitAsync();
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public async Task TheStreamManagerAloneIsInClusterModeAndRefusesToStartWithoutKafka()
    {
        var home = Directory.CreateTempSubdirectory("mysimbdp-alone-").FullName;
        try
        {
            var output = new System.Text.StringBuilder();
            using var manager = StartManager(home, new Dictionary<string, string>(), line => { lock (output) { output.AppendLine(line); } });
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await manager.WaitForExitAsync(timeout.Token);
            }
            finally
            {
                if (!manager.HasExited)
                {
                    manager.Kill(entireProcessTree: true);
                }
            }

            Assert.NotEqual(0, manager.ExitCode);
            lock (output)
            {
                Assert.Contains("Platform:Mode is 'cluster'", output.ToString(), StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    private static Process StartManager(string home, Dictionary<string, string> environment, Action<string>? output = null) =>
        ChildHost.StartService("StreamIngestManager.dll", home, environment, output);
}
