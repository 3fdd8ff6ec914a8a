using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Options;
using Mysimbdp.Avro;

namespace StreamIngestManager.Transport.Kafka;

/// <summary>
/// Kafka through Confluent.Kafka and librdkafka. A topic per tenant dataset (<c>{prefix}.{tenant}.{dataset}</c>).
/// A message carries up to <see cref="MessageRecords"/> records of one partition (<see cref="RecordPack"/>): a
/// record's partition is a hash of its key, so one key keeps one partition and its order. Headers, once per
/// message: the schema fingerprint and the source. One idempotent producer
/// (acks=all) per process; one consumer group per tenant. A consumer takes micro-batches bounded by records and
/// time, hands them to the writer, and only then stores their offsets (committed every 500 ms and on close); a
/// batch whose write fails is retried, never skipped (<see cref="Redelivery"/>).
/// </summary>
/// <remarks>
/// Records are packed because the client's cost is per message: on two cores, Confluent.Kafka and the mock cluster
/// alone carried 122k-140k single-record messages per second, less than the platform writes to coredms.
/// </remarks>
internal sealed class KafkaTransport : IStreamTransport, IDisposable
{
    public const string FingerprintHeader = "mysimbdp.fingerprint";
    public const string SourceHeader = "mysimbdp.source";

    /// <summary>A message holds at most this many records...</summary>
    public const int MessageRecords = 1000;

    /// <summary>...and at most this many bytes of them (a larger record goes alone), well under Kafka's 1 MB default message limit.</summary>
    public const int MessageBytes = 256 * 1024;

    private readonly TransportOptions _options;
    private readonly ILogger<KafkaTransport> _logger;
    private readonly MockKafkaCluster? _mock;
    private readonly Lazy<IProducer<byte[], byte[]>> _producer;
    private readonly Lazy<IAdminClient> _admin;
    private readonly ConcurrentDictionary<string, Task<int>> _partitions = new(StringComparer.Ordinal);

    /// <summary>Per topic and partition, the offset after the last message this process's producer had acknowledged.</summary>
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<int, long>> _produced = new(StringComparer.Ordinal);

    /// <summary>The lag of each tenant whose consumer runs in this process.</summary>
    private readonly ConcurrentDictionary<string, ConsumerLag> _consumers = new(StringComparer.Ordinal);

    private readonly int _maxBacklog;

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
        _maxBacklog = _mock is null ? _options.Kafka.MaxBacklogMessages : Math.Min(_options.Kafka.MaxBacklogMessages, KafkaOptions.MockBacklogMessages);
        _producer = new(() => new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = BootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = _options.Kafka.LingerMilliseconds,
            MessageTimeoutMs = 120_000,
            QueueBufferingMaxMessages = 500_000,
            DeliveryReportFields = "status",
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
        var messages = RecordPack.Pack(records, await PartitionsAsync(topic), MessageRecords, MessageBytes);
        var fingerprint = BitConverter.GetBytes(schemaFingerprint);
        var sources = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var pending = messages.Count;
        Error? failure = null;
        var delivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var produced = _produced.GetOrAdd(topic, _ => new ConcurrentDictionary<int, long>());
        void Report(DeliveryReport<byte[], byte[]> report)
        {
            if (report.Error.IsError)
            {
                Interlocked.CompareExchange(ref failure, report.Error, null);
            }
            else if (report.Offset != Offset.Unset)
            {
                produced.AddOrUpdate(report.Partition.Value, report.Offset.Value + 1, (_, known) => Math.Max(known, report.Offset.Value + 1));
            }

            if (Interlocked.Decrement(ref pending) == 0)
            {
                delivered.TrySetResult();
            }
        }

        foreach (var (partition, first, value) in messages)
        {
            var message = new Message<byte[], byte[]>
            {
                Value = value,
                Headers = new Headers
                {
                    { FingerprintHeader, fingerprint },
                    { SourceHeader, sources.TryGetValue(first.Source, out var source) ? source : sources[first.Source] = Encoding.UTF8.GetBytes(first.Source) },
                },
            };
            while (true)
            {
                try
                {
                    _producer.Value.Produce(new TopicPartition(topic, partition), message, Report);
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

    /// <summary>
    /// Behind when a partition of the dataset's topic holds more than the backlog limit of messages this process
    /// produced and its consumer has not written; unknown (false) when the tenant's consumer is not in this process.
    /// </summary>
    public bool IsBehind(string tenant, string dataset)
    {
        var topic = Topic(tenant, dataset);
        if (!_consumers.TryGetValue(tenant, out var lag) || !_produced.TryGetValue(topic, out var produced))
        {
            return false;
        }

        foreach (var (partition, end) in produced)
        {
            if (lag.WrittenOf(new TopicPartition(topic, partition)) is { } written && end - written > _maxBacklog)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Creates the dataset's topic now when the platform creates its topics; an operator's topics are left to the operator.</summary>
    public async Task PrepareAsync(string tenant, string dataset, CancellationToken ct)
    {
        if (_mock is not null || _options.Kafka.CreateTopics)
        {
            await PartitionsAsync(Topic(tenant, dataset)).WaitAsync(ct);
        }
    }

    /// <summary>The topic's partition count, creating the topic first when the platform creates its topics; a failure is not kept.</summary>
    private async Task<int> PartitionsAsync(string topic)
    {
        var known = _partitions.GetOrAdd(topic, t => Task.Run(async () =>
        {
            await CreateTopicAsync(t);
            var metadata = _admin.Value.GetMetadata(t, TimeSpan.FromSeconds(10)).Topics.Single();
            return metadata.Error.IsError || metadata.Partitions.Count == 0
                ? throw new KafkaException(metadata.Error.IsError ? metadata.Error : new Error(ErrorCode.UnknownTopicOrPart, $"topic {t} has no partitions"))
                : metadata.Partitions.Count;
        }));
        try
        {
            return await known;
        }
        catch
        {
            _partitions.TryRemove(new KeyValuePair<string, Task<int>>(topic, known));
            throw;
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
        var lag = new ConsumerLag(tenant, prefix);
        _consumers[tenant] = lag;
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
            // Records fetched ahead of the consumer, per process: librdkafka's 64 MB default held that much native
            // memory after a load; 16 MB is still most of a second ahead of the writer at 20 MB/s.
            QueuedMaxMessagesKbytes = 16 * 1024,
            SessionTimeoutMs = 10_000,
        }).SetErrorHandler((_, e) => _logger.LogWarning("Kafka consumer of {TenantId}: {KafkaError}", tenant, e.Reason)).SetLogHandler((_, m) => Log(m, tenant))
            .SetPartitionsAssignedHandler((c, partitions) => Assigned(c, tenant, partitions, lag))
            .SetPartitionsRevokedHandler((_, partitions) => lag.Unassigned(partitions.Select(p => p.TopicPartition)))
            .SetPartitionsLostHandler((_, partitions) => lag.Unassigned(partitions.Select(p => p.TopicPartition))).Build();
        lag.Start(consumer);
        consumer.Subscribe("^" + Regex.Escape(prefix) + ".+");
        var batch = new List<ConsumeResult<byte[], byte[]>>();
        var records = 0;
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
                    records += RecordPack.CountOf(result.Message.Value, MessageRecords);
                }

                if (batch.Count > 0 && (records >= _options.MicroBatchRecords || started.ElapsedMilliseconds >= _options.MicroBatchMilliseconds))
                {
                    Deliver(consumer, tenant, prefix, batch, handler, ct);
                    lag.Written(batch);
                    batch.Clear();
                    records = 0;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            _consumers.TryRemove(new KeyValuePair<string, ConsumerLag>(tenant, lag));
            lag.Dispose();
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

            var source = Header(r, SourceHeader) is { } s ? Encoding.UTF8.GetString(s) : $"{r.Topic}/{r.Partition.Value}";
            var unpacked = run.Count;
            try
            {
                RecordPack.Unpack(r.Message.Value, source, run);
            }
            catch (AvroDataException)
            {
                // Not a pack (another producer wrote to the topic): the whole value is one record, which the
                // writer quarantines if it is not a record of the schema either.
                run.RemoveRange(unpacked, run.Count - unpacked);
                run.Add(new StreamRecord(r.Message.Key ?? [], r.Message.Value ?? [], $"{r.Topic}/{r.Partition.Value}", r.Offset.Value));
            }
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
    /// Newly assigned partitions: where their lag is measured from, and, logged as an error, the records the broker
    /// removed (retention) before the group read them: those between the group's committed offset (the start when it
    /// has none) and the partition's first offset. Their rows are lost; the count says how many messages (each up to
    /// <see cref="MessageRecords"/> rows).
    /// </summary>
    private void Assigned(IConsumer<byte[], byte[]> consumer, string tenant, List<TopicPartition> partitions, ConsumerLag lag)
    {
        try
        {
            foreach (var committed in consumer.Committed(partitions, TimeSpan.FromSeconds(10)))
            {
                var first = consumer.QueryWatermarkOffsets(committed.TopicPartition, TimeSpan.FromSeconds(10)).Low;
                var from = committed.Offset == Offset.Unset ? 0 : committed.Offset.Value;
                lag.Assigned(committed.TopicPartition, Math.Max(from, first.Value));
                if (first.Value > from)
                {
                    _logger.LogError("Kafka removed {Messages} messages of {Topic} [{Partition}] (offsets {From} to {To}) before {TenantId}'s consumer read them: their rows are lost. The topic's retention must outlast the consumer's lag",
                        first.Value - from, committed.Topic, committed.Partition.Value, from, first.Value - 1, tenant);
                }
            }
        }
        catch (KafkaException e)
        {
            _logger.LogWarning("Could not check {TenantId}'s assigned partitions for records removed before they were read: {KafkaError}", tenant, e.Error.Reason);
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
