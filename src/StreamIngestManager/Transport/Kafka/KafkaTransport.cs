using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Options;

namespace StreamIngestManager.Transport.Kafka;

/// <summary>
/// Kafka through Confluent.Kafka and librdkafka. A topic per tenant dataset (<c>{prefix}.{tenant}.{dataset}</c>),
/// the record's primary key as message key (one key, one partition, in order), the Avro value with the schema
/// fingerprint, source and position in headers. One idempotent producer (acks=all) per process; one consumer group
/// per tenant. A consumer takes micro-batches bounded by records and time, hands them to the writer, and only
/// then stores their offsets (committed every 500 ms and on close); a batch whose write fails is retried, never
/// skipped (<see cref="Redelivery"/>).
/// </summary>
internal sealed class KafkaTransport : IStreamTransport, IDisposable
{
    public const string FingerprintHeader = "mysimbdp.fingerprint";
    public const string SourceHeader = "mysimbdp.source";
    public const string PositionHeader = "mysimbdp.position";

    private readonly TransportOptions _options;
    private readonly ILogger<KafkaTransport> _logger;
    private readonly MockKafkaCluster? _mock;
    private readonly Lazy<IProducer<byte[], byte[]>> _producer;
    private readonly Lazy<IAdminClient> _admin;
    private readonly ConcurrentDictionary<string, Lazy<Task>> _topics = new(StringComparer.Ordinal);

    public KafkaTransport(IOptions<TransportOptions> options, ILogger<KafkaTransport> logger)
    {
        _options = options.Value;
        _logger = logger;
        if (_options.Kafka.MockBrokers > 0)
        {
            _mock = new MockKafkaCluster(_options.Kafka.MockBrokers);
            logger.LogWarning("Kafka is librdkafka's in-process mock cluster ({Brokers} brokers at {BootstrapServers}); it keeps nothing across restarts",
                _mock.Brokers, _mock.BootstrapServers);
        }

        BootstrapServers = _mock?.BootstrapServers ?? _options.Kafka.BootstrapServers;
        _producer = new(() => new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = BootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = _options.Kafka.LingerMilliseconds,
            MessageTimeoutMs = 120_000,
            QueueBufferingMaxMessages = 500_000,
        }).SetErrorHandler((_, e) => _logger.LogWarning("Kafka producer: {KafkaError}", e.Reason)).SetLogHandler((_, m) => Log(m, null)).Build());
        _admin = new(() => new AdminClientBuilder(new AdminClientConfig { BootstrapServers = BootstrapServers }).Build());
    }

    public string BootstrapServers { get; }

    /// <summary>The mock cluster when the transport runs on one (tests, benchmarks, development).</summary>
    public MockKafkaCluster? Mock => _mock;

    public string Topic(string tenant, string dataset) => $"{_options.Kafka.TopicPrefix}.{tenant}.{dataset}";

    public async Task PublishAsync(string tenant, string dataset, long schemaFingerprint, IReadOnlyList<StreamRecord> records, CancellationToken ct)
    {
        if (records.Count == 0)
        {
            return;
        }

        var topic = Topic(tenant, dataset);
        await _topics.GetOrAdd(topic, t => new Lazy<Task>(() => CreateTopicAsync(t))).Value;
        var fingerprint = BitConverter.GetBytes(schemaFingerprint);
        var pending = records.Count;
        Error? failure = null;
        var delivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Report(DeliveryReport<byte[], byte[]> report)
        {
            if (report.Error.IsError)
            {
                Interlocked.CompareExchange(ref failure, report.Error, null);
            }

            if (Interlocked.Decrement(ref pending) == 0)
            {
                delivered.TrySetResult();
            }
        }

        foreach (var record in records)
        {
            var message = new Message<byte[], byte[]>
            {
                Key = record.Key,
                Value = record.Value,
                Headers = new Headers
                {
                    { FingerprintHeader, fingerprint },
                    { SourceHeader, Encoding.UTF8.GetBytes(record.Source) },
                    { PositionHeader, BitConverter.GetBytes(record.Position) },
                },
            };
            while (true)
            {
                try
                {
                    _producer.Value.Produce(topic, message, Report);
                    break;
                }
                catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    _producer.Value.Poll(TimeSpan.FromMilliseconds(5));
                }
            }
        }

        await delivered.Task.WaitAsync(ct);
        if (failure is not null)
        {
            throw new KafkaException(failure);
        }
    }

    private async Task CreateTopicAsync(string topic)
    {
        if (_mock is not null)
        {
            _mock.CreateTopic(topic, _options.Kafka.Partitions, Math.Min(_options.Kafka.ReplicationFactor, _mock.Brokers));
            return;
        }

        if (!_options.Kafka.CreateTopics)
        {
            return;
        }

        var brokers = _admin.Value.GetMetadata(TimeSpan.FromSeconds(10)).Brokers.Count;
        try
        {
            await _admin.Value.CreateTopicsAsync([new TopicSpecification
            {
                Name = topic,
                NumPartitions = _options.Kafka.Partitions,
                ReplicationFactor = (short)Math.Min(_options.Kafka.ReplicationFactor, brokers),
            }]);
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.TopicAlreadyExists or ErrorCode.NoError))
        {
        }
    }

    public Task ConsumeAsync(string tenant, Func<IReadOnlyList<StreamDelivery>, CancellationToken, Task> handler, CancellationToken ct) =>
        Task.Factory.StartNew(() => Consume(tenant, handler, ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Consume(string tenant, Func<IReadOnlyList<StreamDelivery>, CancellationToken, Task> handler, CancellationToken ct)
    {
        var prefix = _options.Kafka.TopicPrefix + "." + tenant + ".";
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = $"{_options.Kafka.TopicPrefix}-{tenant}",
            EnableAutoCommit = true,
            AutoCommitIntervalMs = 500,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            TopicMetadataRefreshIntervalMs = 2000,
            FetchWaitMaxMs = 10,
            SessionTimeoutMs = 10_000,
        }).SetErrorHandler((_, e) => _logger.LogWarning("Kafka consumer of {TenantId}: {KafkaError}", tenant, e.Reason)).SetLogHandler((_, m) => Log(m, tenant)).Build();
        consumer.Subscribe("^" + Regex.Escape(prefix) + ".+");
        var batch = new List<ConsumeResult<byte[], byte[]>>();
        var started = Stopwatch.StartNew();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var wait = batch.Count == 0 ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromMilliseconds(Math.Max(0, _options.MicroBatchMilliseconds - started.ElapsedMilliseconds));
                ConsumeResult<byte[], byte[]>? result = null;
                try
                {
                    result = consumer.Consume(wait);
                }
                catch (ConsumeException e) when (e.Error.Code == ErrorCode.UnknownTopicOrPart)
                {
                    // The tenant's first topic appears with its first record; until then the subscription matches nothing.
                    _logger.LogDebug("Kafka consume for {TenantId}: {KafkaError}", tenant, e.Error.Reason);
                }
                catch (ConsumeException e)
                {
                    _logger.LogWarning("Kafka consume for {TenantId}: {KafkaError}", tenant, e.Error.Reason);
                }

                if (result is { IsPartitionEOF: false, Message: not null })
                {
                    if (batch.Count == 0)
                    {
                        started.Restart();
                    }

                    batch.Add(result);
                }

                if (batch.Count > 0 && (batch.Count >= _options.MicroBatchRecords || started.ElapsedMilliseconds >= _options.MicroBatchMilliseconds))
                {
                    Deliver(consumer, tenant, prefix, batch, handler, ct);
                    batch.Clear();
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            try
            {
                consumer.Close();
            }
            catch (KafkaException e)
            {
                _logger.LogWarning("Closing the Kafka consumer of {TenantId}: {KafkaError}", tenant, e.Error.Reason);
            }
        }
    }

    /// <summary>Hands a micro-batch to the writer until it succeeds, then stores its offsets.</summary>
    private void Deliver(IConsumer<byte[], byte[]> consumer, string tenant, string prefix, List<ConsumeResult<byte[], byte[]>> batch,
        Func<IReadOnlyList<StreamDelivery>, CancellationToken, Task> handler, CancellationToken ct)
    {
        // Consecutive records of one topic and schema make a delivery, so that the batch keeps its order (per key).
        var deliveries = new List<StreamDelivery>();
        List<StreamRecord>? run = null;
        (string Topic, long Fingerprint) current = default;
        foreach (var r in batch)
        {
            var key = (r.Topic, Header(r, FingerprintHeader) is { Length: 8 } f ? BitConverter.ToInt64(f) : 0L);
            if (run is null || key != current)
            {
                current = key;
                run = [];
                deliveries.Add(new StreamDelivery(tenant, r.Topic[prefix.Length..], key.Item2, run));
            }

            run.Add(new StreamRecord(r.Message.Key ?? [], r.Message.Value ?? [],
                Header(r, SourceHeader) is { } s ? Encoding.UTF8.GetString(s) : $"{r.Topic}/{r.Partition.Value}",
                Header(r, PositionHeader) is { Length: 8 } p ? BitConverter.ToInt64(p) : r.Offset.Value));
        }

        Redelivery.UntilWrittenAsync(tenant, deliveries, handler, _logger, ct).GetAwaiter().GetResult();
        foreach (var result in batch)
        {
            try
            {
                consumer.StoreOffset(result);
            }
            catch (KafkaException)
            {
                // The partition was reassigned while the batch was written: its new owner replays from the last
                // committed offset, and the replay's upserts change nothing.
            }
        }
    }

    /// <summary>
    /// librdkafka's own log lines, into the platform's log rather than stderr. An offset reset because the
    /// consumer's position is out of range means records passed the topic's retention unread: an error.
    /// </summary>
    private void Log(LogMessage message, string? tenant)
    {
        var level = message.Facility == "OFFSET" && message.Message.Contains("out of range", StringComparison.OrdinalIgnoreCase) ? LogLevel.Error
            : message.Level switch
            {
                SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical or SyslogLevel.Error => LogLevel.Error,
                SyslogLevel.Warning => LogLevel.Warning,
                SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
                _ => LogLevel.Debug,
            };
        _logger.Log(level, "librdkafka {KafkaFacility} ({TenantId}): {KafkaMessage}", message.Facility, tenant ?? "producer", message.Message);
    }

    private static byte[]? Header(ConsumeResult<byte[], byte[]> result, string name) =>
        result.Message.Headers is { } headers && headers.TryGetLastBytes(name, out var value) ? value : null;

    public void Dispose()
    {
        if (_producer.IsValueCreated)
        {
            _producer.Value.Flush(TimeSpan.FromSeconds(10));
            _producer.Value.Dispose();
        }

        if (_admin.IsValueCreated)
        {
            _admin.Value.Dispose();
        }

        _mock?.Dispose();
    }
}
