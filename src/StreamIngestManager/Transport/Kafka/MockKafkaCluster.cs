using System.Runtime.InteropServices;
using System.Text;

namespace StreamIngestManager.Transport.Kafka;

/// <summary>
/// librdkafka's mock cluster: brokers in this process that speak Kafka's protocol on real loopback sockets,
/// with consumer groups, and faults on demand (a broker down, errors pushed for a request type). For tests,
/// benchmarks and a development mode (<c>Transport:Kafka:MockBrokers</c>); not a durable store, and it keeps
/// only the last 5 MB (or 100,000 message sets) of each partition, a limit librdkafka fixes.
/// </summary>
/// <remarks>
/// The mock API (<c>rd_kafka_mock_*</c>) is exported by the librdkafka that Confluent.Kafka bundles
/// (librdkafka.redist). The calls below go to that same library: the client loads the first build of it that
/// loads on this system (the plain one, else the CentOS 8 one, which Debian 12 takes because the plain one
/// needs libsasl2.so.3), and <see cref="Bundled"/> resolves them in the same order.
/// </remarks>
public sealed unsafe partial class MockKafkaCluster : IDisposable
{
    private const string Library = "librdkafka";
    private static readonly string[] Builds = ["librdkafka", "centos8-librdkafka", "alpine-librdkafka"];
    private readonly IntPtr _handle;
    private readonly IntPtr _cluster;

    static MockKafkaCluster() => NativeLibrary.SetDllImportResolver(typeof(MockKafkaCluster).Assembly,
        (name, _, _) => name == Library ? Bundled.Value : IntPtr.Zero);

    private static readonly Lazy<IntPtr> Bundled = new(() =>
    {
        Confluent.Kafka.Library.Load();
        var client = typeof(Confluent.Kafka.Library).Assembly;
        foreach (var build in Builds)
        {
            if (NativeLibrary.TryLoad(build, client, null, out var handle))
            {
                return handle;
            }
        }

        throw new DllNotFoundException("None of the librdkafka builds bundled with Confluent.Kafka loads here: " + string.Join(", ", Builds));
    });

    public MockKafkaCluster(int brokers)
    {
        var error = new byte[512];
        var conf = ConfNew();
        fixed (byte* e = error)
        {
            // The handle only hosts the cluster and never connects anywhere: without this it warns that it has no bootstrap.servers.
            ConfSet(conf, "log_level", "3", e, (nuint)error.Length);
            _handle = New(0, conf, e, (nuint)error.Length);
        }

        if (_handle == IntPtr.Zero)
        {
            throw new InvalidOperationException("rd_kafka_new failed: " + Encoding.UTF8.GetString(error).TrimEnd('\0'));
        }

        _cluster = MockClusterNew(_handle, brokers);
        if (_cluster == IntPtr.Zero)
        {
            throw new InvalidOperationException("rd_kafka_mock_cluster_new failed.");
        }

        // A consumer group's first join waits this long for more members (brokers: group.initial.rebalance.delay.ms,
        // 3 s). A tenant's consumer is alone in its group, and the mock keeps only 5 MB per partition: a consumer
        // that starts 3 s late under load finds the first records already gone.
        GroupInitialRebalanceDelay(_cluster, 100);
        Brokers = brokers;
        BootstrapServers = Marshal.PtrToStringUTF8(MockClusterBootstraps(_cluster))!;
    }

    public int Brokers { get; }

    public string BootstrapServers { get; }

    /// <summary>Takes a broker (1-based id) off the network; clients see its connections fail.</summary>
    public void SetBrokerDown(int broker) => Check(BrokerSetDown(_cluster, broker), "broker down");

    public void SetBrokerUp(int broker) => Check(BrokerSetUp(_cluster, broker), "broker up");

    /// <summary>The next <paramref name="errors"/>.Length requests of <paramref name="apiKey"/> (0 Produce, 1 Fetch, 8 OffsetCommit) fail with these Kafka error codes.</summary>
    public void PushRequestErrors(short apiKey, params int[] errors)
    {
        fixed (int* e = errors)
        {
            PushRequestErrorsArray(_cluster, apiKey, (nuint)errors.Length, e);
        }
    }

    public void CreateTopic(string topic, int partitions, int replicationFactor) =>
        Check(TopicCreate(_cluster, topic, partitions, replicationFactor), "topic create " + topic);

    public void Dispose()
    {
        MockClusterDestroy(_cluster);
        Destroy(_handle);
    }

    private static void Check(int error, string what)
    {
        if (error != 0)
        {
            throw new InvalidOperationException($"librdkafka mock {what} failed with error {error}.");
        }
    }

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_new")]
    private static partial IntPtr ConfNew();

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_set", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int ConfSet(IntPtr conf, string name, string value, byte* error, nuint errorSize);

    [LibraryImport(Library, EntryPoint = "rd_kafka_new")]
    private static partial IntPtr New(int type, IntPtr conf, byte* error, nuint errorSize);

    [LibraryImport(Library, EntryPoint = "rd_kafka_destroy")]
    private static partial void Destroy(IntPtr handle);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_new")]
    private static partial IntPtr MockClusterNew(IntPtr handle, int brokers);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_destroy")]
    private static partial void MockClusterDestroy(IntPtr cluster);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_bootstraps")]
    private static partial IntPtr MockClusterBootstraps(IntPtr cluster);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_group_initial_rebalance_delay_ms")]
    private static partial void GroupInitialRebalanceDelay(IntPtr cluster, int milliseconds);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_broker_set_down")]
    private static partial int BrokerSetDown(IntPtr cluster, int broker);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_broker_set_up")]
    private static partial int BrokerSetUp(IntPtr cluster, int broker);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_push_request_errors_array")]
    private static partial void PushRequestErrorsArray(IntPtr cluster, short apiKey, nuint count, int* errors);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_topic_create", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int TopicCreate(IntPtr cluster, string topic, int partitions, int replicationFactor);
}
