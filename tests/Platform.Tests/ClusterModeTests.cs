using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CqlStandIn;
using Platform.Tests.Batch;
using Platform.Tests.Streaming;

namespace Platform.Tests;

/// <summary>
/// Cluster mode as it is deployed: the API, the batch manager and the stream manager, each a separate process,
/// configured only by environment, sharing Cassandra (the stand-in cluster), Kafka (librdkafka's mock cluster)
/// and the staging folder.
/// </summary>
public sealed class ClusterModeTests
{
    /// <summary>The environment every service of the cluster gets: cluster mode on the stand-in Cassandra and the mock Kafka.</summary>
    private static Dictionary<string, string> Cluster(StandInCluster cassandra, StreamIngestManager.Transport.Kafka.MockKafkaCluster kafka) => new()
    {
        ["Platform__Mode"] = "cluster",
        ["Coredms__Engine"] = "cassandra",
        ["MYSIMBDP_CASSANDRA"] = cassandra.ContactPoint,
        ["Coredms__Cassandra__ReplicationFactor"] = "1",
        ["Transport__Engine"] = "kafka",
        ["Transport__Kafka__BootstrapServers"] = kafka.BootstrapServers,
        ["Transport__Kafka__CreateTopics"] = "false",
    };

    [Fact]
    public async Task TheThreeServicesAloneIngestABatchFileAndStreamedEvents()
    {
        await using var cassandra = StandInCluster.Start();
        using var kafka = new StreamIngestManager.Transport.Kafka.MockKafkaCluster(3);
        var home = Directory.CreateTempSubdirectory("mysimbdp-three-").FullName;
        var environment = new Dictionary<string, string>(Cluster(cassandra, kafka))
        {
            ["Batch__PollSeconds"] = "1",
            ["Serilog__MinimumLevel__Default"] = "Warning",
        };
        var metricsPort = FreePort();
        var batchEnvironment = new Dictionary<string, string>(environment) { ["Metrics__Port"] = metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        var output = new StringBuilder();
        void Log(string line)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }

        var managers = new List<Process>();
        try
        {
            await using var api = await ChildHost.StartAsync(home, environment);
            managers.Add(ChildHost.StartService("BatchIngestManager.dll", home, batchEnvironment, Log));
            managers.Add(ChildHost.StartService("StreamIngestManager.dll", home, environment, Log));
            using var admin = await api.AdminAsync();
            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync("/tenants", Repo.Body(new JsonObject { ["id"] = "three" }))).StatusCode);
            await admin.RegisterAsync("three", Flows.DatasetA(), Flows.AgreementWithoutApp());
            await admin.RegisterAsync("three", Flows.StreamDatasetA("speed_stream").With("key_space", "live"), null);

            // Batch: the API stages the upload and records the run; the batch manager process claims and runs it.
            await admin.UploadAsync("three", "speed_tracking", "messy.csv", MessyFile.Build());
            System.Text.Json.JsonElement run;
            try
            {
                run = await admin.IngestAndWaitAsync("three", "speed_tracking", TimeSpan.FromSeconds(90));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // What the managers said is the only clue when the batch manager never took the run.
                throw new Xunit.Sdk.XunitException($"{e.Message}\nmanagers exited: {string.Join(", ", managers.Select(m => m.HasExited))}\n{output}");
            }

            Assert.Equal("partially_succeeded", run.GetProperty("status").GetString());
            Assert.Equal(MessyFile.AsIs.DistinctRows, (await admin.AllRowsAsync("three", "speed_tracking")).Count);

            // The run's rows are counted in the batch manager's own metrics, where the run happened.
            using var scraper = new HttpClient();
            var scraped = await scraper.GetStringAsync($"http://localhost:{metricsPort}/metrics");
            Assert.Equal(run.GetProperty("rows_loaded").GetInt64(), Logs.MetricsTests.Value(scraped, "mysimbdp_rows_loaded_total", ("tenant", "three")));

            // Stream: the API publishes to Kafka; the stream manager process consumes and writes.
            var events = string.Join('\n', Enumerable.Range(1, 200).Select(i =>
                $$"""{"sensor_id": 3, "reading_id": {{i}}, "date": "2026-03-01", "time": "08:00:00", "speed_kmh": 50, "vehicle_class": "car"}"""));
            var response = await admin.PostAsync("/tenants/three/datasets/speed_stream/events", new StringContent(events, Encoding.UTF8, "application/x-ndjson"));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.Equal(200, (await admin.WaitForRowsAsync("three", "speed_stream", 200, TimeSpan.FromSeconds(90))).Count);

            // Change data capture: the API seals the password and checks the source; the stream manager opens it and captures.
            await using var pg = await PostgresServer.StartAsync();
            await pg.ExecuteAsync(Cdc.CdcTests.OrdersTable(500));
            Assert.Equal(HttpStatusCode.Created, (await admin.PutAsync("/tenants/three/connections/shop", Repo.Body(Cdc.CdcTests.ConnectionTo(pg)))).StatusCode);
            await admin.RegisterAsync("three", Cdc.CdcTests.Orders(), null);
            await pg.ExecuteAsync("DELETE FROM orders WHERE order_id <= 100");
            await Eventually.UntilAsync(async () => (await admin.AllRowsAsync("three", "orders")).Select(r => r.GetProperty("order_id").GetInt32()).Order().ToList(),
                ids => ids.SequenceEqual(Enumerable.Range(101, 400)), ids => $"the stream manager captured {ids.Count} orders, not orders 101 to 500", TimeSpan.FromSeconds(90));

            Assert.All(managers, m => Assert.False(m.HasExited, "a manager stopped:\n" + output));
            Assert.Empty(cassandra.Data.Warnings);
        }
        finally
        {
            foreach (var manager in managers)
            {
                manager.Kill(entireProcessTree: true);
                await manager.WaitForExitAsync();
                manager.Dispose();
            }

            Directory.Delete(home, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task TheBatchManagerAloneFollowsAgreementsChangedThroughTheApi()
    {
        await using var cassandra = StandInCluster.Start();
        using var kafka = new StreamIngestManager.Transport.Kafka.MockKafkaCluster(1);
        var home = Directory.CreateTempSubdirectory("mysimbdp-follow-").FullName;
        var environment = new Dictionary<string, string>(Cluster(cassandra, kafka)) { ["Batch__ReconcileSeconds"] = "1" };
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        Task SeenAsync(string text) => Eventually.UntilAsync(() => Task.FromResult(lines.Any(l => l.Contains(text, StringComparison.Ordinal))), seen => seen,
            _ => $"the batch manager never said \"{text}\":\n{string.Join("\n", lines)}");

        using var manager = ChildHost.StartService("BatchIngestManager.dll", home, environment, lines.Enqueue);
        try
        {
            await using var api = await ChildHost.StartAsync(home, new Dictionary<string, string>(environment) { ["Serilog__MinimumLevel__Default"] = "Warning" });
            using var admin = await api.AdminAsync();
            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync("/tenants", Repo.Body(new JsonObject { ["id"] = "follow" }))).StatusCode);
            await admin.RegisterAsync("follow", Flows.DatasetA(), Flows.AgreementWithoutApp().With("schedule", "0 3 * * *"));
            await SeenAsync("Scheduled follow's runs at '0 3 * * *'");

            var changed = await admin.PutAsync("/tenants/follow/agreement", Repo.Body(Flows.AgreementWithoutApp().With("client", "follow").With("schedule", "*/10 * * * *")));
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
            await SeenAsync("Scheduled follow's runs at '*/10 * * * *'");

            Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/tenants/follow?confirm=follow")).StatusCode);
            await SeenAsync("Unscheduled follow");
            Assert.False(manager.HasExited, string.Join("\n", lines));
        }
        finally
        {
            manager.Kill(entireProcessTree: true);
            await manager.WaitForExitAsync();
            Directory.Delete(home, recursive: true);
        }
    }
}
