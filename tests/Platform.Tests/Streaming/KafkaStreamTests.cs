using System.Net;
using System.Text;
using System.Text.Json;
using Catalog.Datasets;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Mysimbdp.Avro;
using Mysimbdp.Tests.Oracles;
using StreamIngestManager.Transport.Kafka;

namespace Platform.Tests.Streaming;

/// <summary>
/// The platform streaming through Kafka (the real client, librdkafka's mock cluster of three brokers owned by
/// the test, so it outlives the platform) while the test breaks things: a broker goes down mid-stream,
/// produce and fetch requests fail, the platform process is killed and started again, records that cannot be
/// read arrive. Afterwards every row is in the store exactly once by key and nothing waits.
/// </summary>
public sealed class KafkaStreamTests : IAsyncLifetime
{
    private MockKafkaCluster _cluster = null!;

    public Task InitializeAsync()
    {
        _cluster = new MockKafkaCluster(3);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _cluster.Dispose();
        return Task.CompletedTask;
    }

    private Dictionary<string, string?> KafkaSettings() => new()
    {
        ["Transport:Engine"] = "kafka",
        ["Transport:Kafka:BootstrapServers"] = _cluster.BootstrapServers,
        ["Transport:Kafka:CreateTopics"] = "false",
    };

    private static async Task<HttpClient> StreamTenantAsync(PlatformHost host, string tenant)
    {
        var http = await host.TenantAsync(tenant);
        await http.RegisterAsync(tenant, Flows.StreamDatasetA(), Flows.AgreementWithoutApp());
        return http;
    }

    private static string Events(int sensor, int first, int count) => string.Join('\n', Enumerable.Range(first, count).Select(i =>
        $$"""{"sensor_id": {{sensor}}, "reading_id": {{i}}, "date": "2026-03-01", "time": "08:00:00", "speed_kmh": 50, "vehicle_class": "car"}"""));

    private static async Task PostEventsAsync(HttpClient http, string tenant, string body)
    {
        var response = await http.PostAsync($"/tenants/{tenant}/datasets/speed_tracking/events", new StringContent(body, Encoding.UTF8, "application/x-ndjson"));
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Every (sensor, reading) exactly once, and nothing else.</summary>
    private static void AssertExactlyOnce(List<JsonElement> rows, IEnumerable<(int Sensor, int Reading)> expected)
    {
        var keys = rows.Select(r => (r.GetProperty("sensor_id").GetInt32(), r.GetProperty("reading_id").GetInt32())).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.Equal(expected.Order(), keys.Order());
    }

    private static IEnumerable<(int, int)> Keys(int sensor, int count) => Enumerable.Range(1, count).Select(i => (sensor, i));

    [Fact]
    public async Task ABrokerDownMidStreamDelaysRowsButLosesAndDoublesNone()
    {
        await using var host = await PlatformHost.StartAsync(KafkaSettings());
        using var t = await StreamTenantAsync(host, "broker_down");
        int down;
        await PostEventsAsync(t, "broker_down", Events(1, 1, 500));
        await t.WaitForRowsAsync("broker_down", "speed_tracking", 500);

        // The broker that leads partition 0: every partition has records in 500 keys, so the next writes need it.
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _cluster.BootstrapServers }).Build())
        {
            down = admin.GetMetadata("mysimbdp.broker_down.speed_tracking", TimeSpan.FromSeconds(10)).Topics.Single().Partitions.Single(p => p.PartitionId == 0).Leader;
        }

        _cluster.SetBrokerDown(down);
        var during = Task.WhenAll(
            PostEventsAsync(t, "broker_down", Events(2, 1, 500)),
            Task.Run(() => Flows.DropFile(host.Home, "broker_down", "in", "during.csv", StreamIngestionTests.Readings(3, 2000))));
        await Task.WhenAny(during, Task.Delay(TimeSpan.FromSeconds(2)));

        // The outage overlapped the writes: records for the broker's partitions could not be acknowledged while it was down.
        Assert.False(during.IsCompleted, during.IsFaulted ? during.Exception!.ToString() : $"the events and the file went through while broker {down} was down, so the test shows nothing");
        _cluster.SetBrokerUp(down);
        await during;
        await PostEventsAsync(t, "broker_down", Events(4, 1, 500));

        var rows = await t.WaitForRowsAsync("broker_down", "speed_tracking", 3500, TimeSpan.FromSeconds(120));
        AssertExactlyOnce(rows, Keys(1, 500).Concat(Keys(2, 500)).Concat(Keys(3, 2000)).Concat(Keys(4, 500)));
        var file = JsonDocument.Parse(await t.GetStringAsync("/tenants/broker_down/files")).RootElement.GetProperty("files")[0];
        Assert.Equal("loaded", file.GetProperty("status").GetString());
    }

    [Fact]
    public async Task RecordsRemovedBeforeTheConsumerReadThemAreReportedAsLostAndTheRestArrive()
    {
        // Another producer wrote eight values of 900 KB before the tenant streamed; the mock cluster keeps 5 MB of a
        // partition (its retention), so it removed the first ones.
        const string Topic = "mysimbdp.expired.speed_tracking";
        const int Values = 8;
        _cluster.CreateTopic(Topic, 1, 1);
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = _cluster.BootstrapServers }).Build())
        {
            for (var i = 0; i < Values; i++)
            {
                await producer.ProduceAsync(new TopicPartition(Topic, 0), new Message<byte[], byte[]> { Value = new byte[900 * 1024] });
            }
        }

        long removed;
        using (var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = _cluster.BootstrapServers, GroupId = "watermarks" }).Build())
        {
            removed = consumer.QueryWatermarkOffsets(new TopicPartition(Topic, 0), TimeSpan.FromSeconds(10)).Low.Value;
        }

        Assert.InRange(removed, 1, Values - 1);

        await using var host = await PlatformHost.StartAsync(KafkaSettings());
        using var t = await StreamTenantAsync(host, "expired");
        using var operators = await host.AdminAsync();
        await Eventually.UntilAsync(async () =>
        {
            var errors = await operators.GetStringAsync("/admin/logs?tenant=expired&level=error");
            return errors.Contains($"removed {removed} messages", StringComparison.Ordinal) && errors.Contains(Topic, StringComparison.Ordinal);
        }, $"the {removed} messages removed before they were read were not reported");

        // The values left are no records of the dataset: they reach the quarantine, and rows posted after them arrive.
        await PostEventsAsync(t, "expired", Events(1, 1, 5));
        await t.WaitForRowsAsync("expired", "speed_tracking", 5);
        var quarantine = await t.WaitForRowsAsync("expired", "speed_tracking", Values - (int)removed, what: "quarantine");
        Assert.All(quarantine, q => Assert.StartsWith(Topic + "/0", q.GetProperty("file_id").GetString(), StringComparison.Ordinal));
    }

    /// <summary>
    /// A consumer that cannot write falls behind: once a partition holds more than the backlog limit of messages it
    /// has not written, events get 503 with Retry-After instead of 202 (their records could outlive the topic's
    /// retention); every 202 is stored once it writes again, and events are taken again.
    /// </summary>
    [Fact]
    public async Task EventsAreRefusedWhileTheConsumerIsTooFarBehindAndEvery202IsStored()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var settings = KafkaSettings();
        settings["Transport:Kafka:MaxBacklogMessages"] = "2";
        await using var host = await PlatformHost.StartAsync(settings, services: s =>
        {
            var transport = s.Last(d => d.ServiceType == typeof(StreamIngestManager.Transport.IStreamTransport));
            s.Replace(ServiceDescriptor.Singleton<StreamIngestManager.Transport.IStreamTransport>(sp =>
                new Logs.MetricsTests.StalledWriter((StreamIngestManager.Transport.IStreamTransport)transport.ImplementationFactory!(sp), gate.Task)));
        });
        using var t = await StreamTenantAsync(host, "behind");

        // The writer is stalled: requests are taken until the consumer has its partitions and the backlog passes the
        // limit, then refused.
        var accepted = new List<int>();
        HttpResponseMessage? refused = null;
        var sensor = 0;
        await Eventually.UntilAsync(async () =>
        {
            var response = await t.PostAsync("/tenants/behind/datasets/speed_tracking/events", new StringContent(Events(++sensor, 1, 1000), Encoding.UTF8, "application/x-ndjson"));
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                accepted.Add(sensor);
                return false;
            }

            refused = response;
            return true;
        }, "events were still taken while the consumer could not write", every: TimeSpan.FromMilliseconds(100));

        Assert.NotNull(refused);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        Assert.EndsWith("stream-behind", (await refused.ReadJsonAsync()).GetProperty("type").GetString());
        Assert.NotEmpty(accepted);

        gate.SetResult();
        var rows = await t.WaitForRowsAsync("behind", "speed_tracking", accepted.Count * 1000, TimeSpan.FromSeconds(120));
        AssertExactlyOnce(rows, accepted.SelectMany(sensor => Keys(sensor, 1000)));
        await Eventually.UntilAsync(async () => (await t.PostAsync("/tenants/behind/datasets/speed_tracking/events",
            new StringContent(Events(99, 1, 10), Encoding.UTF8, "application/x-ndjson"))).StatusCode == HttpStatusCode.Accepted, "events were not taken again once the consumer caught up");
    }

    [Fact]
    public async Task FailedProduceAndFetchRequestsAreRetriedUntilEveryRowIsIn()
    {
        await using var host = await PlatformHost.StartAsync(KafkaSettings());
        using var t = await StreamTenantAsync(host, "request_errors");
        await PostEventsAsync(t, "request_errors", Events(1, 1, 10));
        await t.WaitForRowsAsync("request_errors", "speed_tracking", 10);

        // Produce (api key 0): NOT_LEADER_OR_FOLLOWER (6), REQUEST_TIMED_OUT (7), NOT_ENOUGH_REPLICAS (19).
        _cluster.PushRequestErrors(0, 6, 7, 19, 7, 6);
        // Fetch (api key 1): NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION (3), REQUEST_TIMED_OUT.
        _cluster.PushRequestErrors(1, 6, 3, 7, 6);
        for (var batch = 0; batch < 5; batch++)
        {
            await PostEventsAsync(t, "request_errors", Events(2, 1 + (batch * 400), 400));
        }

        var rows = await t.WaitForRowsAsync("request_errors", "speed_tracking", 2010, TimeSpan.FromSeconds(120));
        AssertExactlyOnce(rows, Keys(1, 10).Concat(Keys(2, 2000)));
    }

    [Fact]
    public async Task APlatformKilledWhilePublishingAndAgainAfterWritingBeforeCommittingEndsWithEveryRowOnce()
    {
        const int Files = 12, RowsPerFile = 5000;
        var home = Path.Combine(Path.GetTempPath(), "mysimbdp-tests", Guid.NewGuid().ToString("N"));
        var environment = new Dictionary<string, string>
        {
            ["Transport__Engine"] = "kafka",
            ["Transport__Kafka__BootstrapServers"] = _cluster.BootstrapServers,
            ["Transport__Kafka__CreateTopics"] = "false",
            // Micro-batches of 500 records: the consumer writes the 60,000 rows in many transactions rather than in
            // the few a 20,000-record batch makes, so the second kill can land between two of them.
            ["Transport__MicroBatchRecords"] = "500",
            ["Serilog__MinimumLevel__Default"] = "Warning",
            // The dataset has a lake sink too: the replays both kills cause must not double its rows either.
            ["Lake__RollSeconds"] = "1",
        };
        const string Rows = "/tenants/killed/datasets/speed_tracking/rows";
        async Task<bool> Has(HttpClient admin, string query) =>
            JsonDocument.Parse(await admin.GetStringAsync(Rows + query)).RootElement.GetProperty("rows").GetArrayLength() > 0;
        async Task<List<string?>> Statuses(HttpClient admin) =>
            JsonDocument.Parse(await admin.GetStringAsync("/tenants/killed/files")).RootElement.GetProperty("files")
                .EnumerateArray().Select(f => f.GetProperty("status").GetString()).ToList();

        try
        {
            // First kill: while files are being published (claimed, part of their rows with Kafka).
            await using (var first = await ChildHost.StartAsync(home, environment))
            {
                using var admin = await first.AdminAsync();
                Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync("/tenants", Repo.Body(new System.Text.Json.Nodes.JsonObject { ["id"] = "killed" }))).StatusCode);
                await admin.RegisterAsync("killed", Flows.StreamDatasetA().With("sinks", new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["type"] = "lake" })),
                    Flows.AgreementWithoutApp());
                for (var i = 1; i <= Files; i++)
                {
                    Flows.DropFile(home, "killed", "in", $"part-{i:D2}.csv", StreamIngestionTests.Readings(i, RowsPerFile));
                }

                await Until(async () => await Statuses(admin) is var s && s.Contains("processing") && s.Count(x => x == "loaded") < Files, "a file was never seen being published");
                first.Kill();
            }

            // Second kill: once the consumer has written rows and before it has written them all (some file's last row
            // is still missing: the consumer takes the partitions in parallel, so no one row is sure to come last);
            // offsets are committed every 500 ms, so the last batches it wrote are offered again after the restart.
            await using (var second = await ChildHost.StartAsync(home, environment))
            {
                using var admin = await second.AdminAsync();
                async Task<bool> SomeFileUnfinished()
                {
                    for (var i = 1; i <= Files; i++)
                    {
                        if (!await Has(admin, $"?sensor_id={i}&reading_id={RowsPerFile}"))
                        {
                            return true;
                        }
                    }

                    return false;
                }

                await Until(async () => await Has(admin, "?limit=1") && await SomeFileUnfinished(), "rows were never seen arriving while some were still missing");
                second.Kill();
            }

            await using var third = await ChildHost.StartAsync(home, environment);
            using var again = await third.AdminAsync();
            var rows = await again.WaitForRowsAsync("killed", "speed_tracking", Files * RowsPerFile, TimeSpan.FromSeconds(120));
            AssertExactlyOnce(rows, Enumerable.Range(1, Files).SelectMany(i => Keys(i, RowsPerFile)));
            var statuses = await Statuses(again);
            Assert.Equal(Files, statuses.Count);
            Assert.All(statuses, status => Assert.Equal("loaded", status));
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(home, "staging", "killed", "in")));

            // The lake, read by DuckDB once the spool is drained: every row once, though files were streamed again and batches redelivered.
            var lake = Lake.DuckDb.Files(Path.Combine(home, "lake"), "killed", "speed_tracking");
            await Eventually.UntilAsync(() => Task.FromResult(Lake.LakeTests.SpoolDrained(home) && Directory.Exists(Path.Combine(home, "lake", "killed"))
                && Lake.DuckDb.Long(Lake.DuckDb.Scalar($"select count(*) from {lake}")) >= Files * RowsPerFile), "the streamed rows never all reached the lake");
            var counts = Assert.Single(Lake.DuckDb.Query($"select count(*), count(distinct (sensor_id, reading_id)) from {lake}"));
            Assert.Equal(((long)Files * RowsPerFile, (long)Files * RowsPerFile), (Lake.DuckDb.Long(counts[0]), Lake.DuckDb.Long(counts[1])));
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    /// <summary>Looks every 5 ms: the states these tests catch pass quickly.</summary>
    private static Task Until(Func<Task<bool>> condition, string failure) =>
        Eventually.UntilAsync(condition, failure, every: TimeSpan.FromMilliseconds(5));

    [Fact]
    public async Task RecordsThatCannotBeReadAreQuarantinedAndTheRecordsAfterThemStillArrive()
    {
        await using var host = await PlatformHost.StartAsync(KafkaSettings());
        using var t = await StreamTenantAsync(host, "poisoned");
        await PostEventsAsync(t, "poisoned", Events(1, 1, 3));
        await t.WaitForRowsAsync("poisoned", "speed_tracking", 3);

        // The tenant's schema evolves: a new field with a default. Records still written with the first schema
        // are read as the new one.
        var datasets = host.Services.GetRequiredService<DatasetCatalog>();
        var v1 = (await datasets.GetAsync("poisoned", "speed_tracking", CancellationToken.None))!;
        var evolved = Flows.StreamDatasetA();
        evolved["schema"]!["fields"]!.AsArray().Add(System.Text.Json.Nodes.JsonNode.Parse("""{"name": "weather", "type": "string", "default": "unknown"}"""));
        await t.RegisterAsync("poisoned", evolved, null);

        // Another producer writes to the topic: packs encoded by Apache.Avro (one record each), and a value that is no pack.
        var topic = $"mysimbdp.poisoned.speed_tracking";
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = _cluster.BootstrapServers }).Build();
        var pack = (global::Avro.ArraySchema)global::Avro.Schema.Parse(RecordPack.Schema);
        async Task Produce(byte[] value, long fingerprint, long position, bool packed = true)
        {
            var item = new global::Avro.Generic.GenericRecord((global::Avro.RecordSchema)pack.ItemSchema);
            item.Add("key", "k"u8.ToArray());
            item.Add("value", value);
            item.Add("position", position);
            await producer.ProduceAsync(topic, new Message<byte[], byte[]>
            {
                Value = packed ? ApacheAvro.Encode(pack, new object[] { item }) : value,
                Headers = new Headers
                {
                    { KafkaTransport.FingerprintHeader, BitConverter.GetBytes(fingerprint) },
                    { KafkaTransport.SourceHeader, "test-producer"u8.ToArray() },
                },
            });
        }

        var reading = new GenericRecord((RecordSchema)v1.Schema, [7, 1, 20513, 28_800_000, 55.5, null, "truck", null]);
        await Produce([0xff, 0xff, 0xff], v1.Fingerprint, 1);
        await Produce(DatumWriter.Encode(v1.Schema, reading), 0x1234_5678_9abc_def0, 2);
        await Produce([0xff, 0xff, 0xff], v1.Fingerprint, 3, packed: false);
        await Produce(DatumWriter.Encode(v1.Schema, reading), v1.Fingerprint, 4);

        var rows = await t.WaitForRowsAsync("poisoned", "speed_tracking", 4);
        var written = Assert.Single(rows, r => r.GetProperty("sensor_id").GetInt32() == 7);
        Assert.Equal("unknown", written.GetProperty("weather").GetString());
        Assert.Equal("truck", written.GetProperty("vehicle_class").GetString());
        var quarantine = await t.WaitForRowsAsync("poisoned", "speed_tracking", 3, what: "quarantine");
        Assert.Equal(["poison", "poison", "schema"], quarantine.Select(q => q.GetProperty("rule").GetString()).Order());
        Assert.Equal(2, quarantine.Count(q => q.GetProperty("file_id").GetString() == "test-producer"));
        Assert.Single(quarantine, q => q.GetProperty("file_id").GetString()!.StartsWith(topic + "/", StringComparison.Ordinal));
        Assert.Contains(quarantine, q => q.GetProperty("reason").GetString()!.Contains("123456789abcdef0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ThePlatformsMessagesAreAvroThatApacheAvroReads()
    {
        await using var host = await PlatformHost.StartAsync(KafkaSettings());
        using var t = await StreamTenantAsync(host, "readable");
        await PostEventsAsync(t, "readable", Events(4, 1, 2500));
        await t.WaitForRowsAsync("readable", "speed_tracking", 2500);
        var dataset = (await host.Services.GetRequiredService<DatasetCatalog>().GetAsync("readable", "speed_tracking", CancellationToken.None))!;

        // Read the topic as any consumer would, and decode each message with Apache.Avro alone.
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = _cluster.BootstrapServers, GroupId = "outside-reader", AutoOffsetReset = AutoOffsetReset.Earliest, EnablePartitionEof = true,
        }).Build();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _cluster.BootstrapServers }).Build();
        var partitions = admin.GetMetadata("mysimbdp.readable.speed_tracking", TimeSpan.FromSeconds(10)).Topics.Single().Partitions.Count;
        consumer.Subscribe("mysimbdp.readable.speed_tracking");
        var pack = global::Avro.Schema.Parse(RecordPack.Schema);
        var rowSchema = ApacheAvro.Parse(dataset.Schema);
        var readings = new List<(int Partition, int Reading, long Position, byte[] Key)>();
        var ended = new HashSet<int>();
        var messages = 0;
        while (ended.Count < partitions)
        {
            var result = consumer.Consume(TimeSpan.FromSeconds(10)) ?? throw new TimeoutException("the topic's partitions did not all reach their end");
            if (result.IsPartitionEOF)
            {
                ended.Add(result.Partition.Value);
                continue;
            }

            messages++;
            Assert.True(result.Message.Headers.TryGetLastBytes(KafkaTransport.FingerprintHeader, out var fingerprint));
            Assert.Equal(dataset.Fingerprint, BitConverter.ToInt64(fingerprint));
            foreach (global::Avro.Generic.GenericRecord item in (object[])ApacheAvro.Decode(pack, pack, result.Message.Value)!)
            {
                var row = (global::Avro.Generic.GenericRecord)ApacheAvro.Decode(rowSchema, rowSchema, (byte[])item["value"])!;
                Assert.Equal(4, row["sensor_id"]);
                readings.Add((result.Partition.Value, (int)row["reading_id"], (long)item["position"], (byte[])item["key"]));
            }
        }

        Assert.Equal(Enumerable.Range(1, 2500), readings.Select(r => r.Reading).Order());
        Assert.Equal(Enumerable.Range(1, 2500).Select(i => (long)i), readings.Select(r => r.Position).Order());
        Assert.InRange(messages, partitions, 2500 / 10);
        Assert.All(readings, r => Assert.Equal(RecordPack.PartitionOf(r.Key, partitions), r.Partition));
        foreach (var partition in readings.GroupBy(r => r.Partition))
        {
            Assert.Equal(partition.Select(r => r.Position).Order(), partition.Select(r => r.Position));
        }
    }
}
