using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Tests.Live;
using StreamIngestManager.Transport;
using StreamIngestManager.Transport.Kafka;

namespace Platform.Tests.Streaming;

/// <summary>
/// What every stream transport promises, run against each engine: every record reaches its tenant's consumer
/// and no other, in order per key, in bounded micro-batches; a failed write is offered again rather than
/// lost; a consumer that stops and starts again goes on from what it had written.
/// </summary>
public abstract class TransportContract : IAsyncLifetime
{
    protected const int MicroBatch = 500;
    private readonly List<IDisposable> _owned = [];

    protected abstract IStreamTransport CreateTransport(TransportOptions options);

    /// <summary>How far past the micro-batch bound a batch may go: Kafka ends a batch between messages, and a message holds up to <see cref="KafkaTransport.MessageRecords"/> records.</summary>
    protected virtual int BatchOvershoot => 0;

    protected IStreamTransport NewTransport()
    {
        var transport = CreateTransport(new TransportOptions { MicroBatchRecords = MicroBatch, MicroBatchMilliseconds = 20 });
        if (transport is IDisposable disposable)
        {
            _owned.Add(disposable);
        }

        return transport;
    }

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync()
    {
        _owned.ForEach(d => d.Dispose());
        return Task.CompletedTask;
    }

    protected static string NewTenant() => "t" + Guid.NewGuid().ToString("N")[..12];

    protected static List<StreamRecord> Records(string source, int count, int keys) =>
        Enumerable.Range(1, count).Select(i => new StreamRecord(
            Encoding.UTF8.GetBytes("k" + (i % keys)), Encoding.UTF8.GetBytes($"{source}:{i}"), source, i)).ToList();

    [ContractFact]
    public async Task EveryRecordReachesItsTenantInOrderPerKeyInBoundedBatches()
    {
        var transport = NewTransport();
        var tenant = NewTenant();
        var seen = new Collector();
        using var stop = new CancellationTokenSource();
        var consuming = transport.ConsumeAsync(tenant, seen.HandleAsync, stop.Token);

        var a = Records("a", 3000, keys: 17);
        var b = Records("b", 1200, keys: 5);
        await Task.WhenAll(
            transport.PublishAsync(tenant, "readings", 42, a, CancellationToken.None),
            transport.PublishAsync(tenant, "reviews", 43, b, CancellationToken.None));
        await seen.WaitForAsync(r => r.Count >= a.Count + b.Count);
        await stop.CancelAsync();
        await consuming;

        Assert.All(seen.Batches, batch => Assert.InRange(batch.Sum(d => d.Records.Count), 1, MicroBatch + BatchOvershoot));
        var deliveries = seen.Batches.SelectMany(x => x).ToList();
        Assert.All(deliveries, d => Assert.Equal(tenant, d.Tenant));
        Assert.All(deliveries, d => Assert.Equal(d.Dataset == "readings" ? 42 : 43, d.SchemaFingerprint));
        var got = deliveries.SelectMany(d => d.Records.Select(r => (d.Dataset, Record: r))).ToList();
        Assert.Equal(a.Select(r => r.Position).Order(), got.Where(g => g.Dataset == "readings").Select(g => g.Record.Position).Distinct().Order());
        Assert.Equal(b.Select(r => r.Position).Order(), got.Where(g => g.Dataset == "reviews").Select(g => g.Record.Position).Distinct().Order());
        foreach (var perKey in got.GroupBy(g => (g.Dataset, Encoding.UTF8.GetString(g.Record.Key))))
        {
            var positions = perKey.Select(g => g.Record.Position).ToList();
            Assert.Equal(positions.Order(), positions);
        }

        Assert.All(got, g => Assert.Equal($"{g.Record.Source}:{g.Record.Position}", Encoding.UTF8.GetString(g.Record.Value)));
    }

    [ContractFact]
    public async Task ATenantsConsumerNeverSeesAnotherTenantsRecords()
    {
        var transport = NewTransport();
        var (first, second) = (NewTenant(), NewTenant());
        var (seenFirst, seenSecond) = (new Collector(), new Collector());
        using var stop = new CancellationTokenSource();
        var consuming = Task.WhenAll(transport.ConsumeAsync(first, seenFirst.HandleAsync, stop.Token), transport.ConsumeAsync(second, seenSecond.HandleAsync, stop.Token));

        await Task.WhenAll(
            transport.PublishAsync(first, "data", 1, Records("first", 700, 10), CancellationToken.None),
            transport.PublishAsync(second, "data", 1, Records("second", 300, 10), CancellationToken.None));
        await seenFirst.WaitForAsync(r => r.Count >= 700);
        await seenSecond.WaitForAsync(r => r.Count >= 300);
        await stop.CancelAsync();
        await consuming;

        Assert.All(seenFirst.Records, r => Assert.Equal("first", r.Source));
        Assert.All(seenSecond.Records, r => Assert.Equal("second", r.Source));
        Assert.Equal(700, seenFirst.Records.Select(r => r.Position).Distinct().Count());
        Assert.Equal(300, seenSecond.Records.Select(r => r.Position).Distinct().Count());
    }

    [ContractFact]
    public async Task AFailedWriteIsOfferedAgainAndNothingIsLost()
    {
        var transport = NewTransport();
        var tenant = NewTenant();
        var failures = 2;
        long[]? failed = null;
        var seen = new Collector(before: batch =>
        {
            if (Interlocked.Decrement(ref failures) >= 0)
            {
                failed ??= batch.SelectMany(d => d.Records).Select(r => r.Position).ToArray();
                throw new InvalidOperationException("coredms is unavailable (injected)");
            }
        });
        using var stop = new CancellationTokenSource();
        var consuming = transport.ConsumeAsync(tenant, seen.HandleAsync, stop.Token);

        var records = Records("f", 1000, 7);
        await transport.PublishAsync(tenant, "data", 9, records, CancellationToken.None);
        await seen.WaitForAsync(r => r.Select(x => x.Position).Distinct().Count() >= records.Count);
        await stop.CancelAsync();
        await consuming;

        Assert.NotNull(failed);
        Assert.All(failed, position => Assert.Equal(3, seen.Offered(position)));
        Assert.Equal(records.Select(r => r.Position), seen.Records.Select(r => r.Position).Distinct().Order());
    }

    [ContractFact]
    public async Task AConsumerStartedAgainGoesOnFromWhatItHadWritten()
    {
        var transport = NewTransport();
        var tenant = NewTenant();
        var before = new Collector();
        using (var stop = new CancellationTokenSource())
        {
            var consuming = transport.ConsumeAsync(tenant, before.HandleAsync, stop.Token);
            await transport.PublishAsync(tenant, "data", 5, Records("before", 800, 9), CancellationToken.None);
            await before.WaitForAsync(r => r.Count >= 800);
            await stop.CancelAsync();
            await consuming;
        }

        var publishing = transport.PublishAsync(tenant, "data", 5, Records("after", 600, 9), CancellationToken.None);
        var after = new Collector();
        using (var stop = new CancellationTokenSource())
        {
            var consuming = transport.ConsumeAsync(tenant, after.HandleAsync, stop.Token);
            await publishing;
            await after.WaitForAsync(r => r.Count(x => x.Source == "after") >= 600);
            await stop.CancelAsync();
            await consuming;
        }

        Assert.Equal(600, after.Records.Where(r => r.Source == "after").Select(r => r.Position).Distinct().Count());
        Assert.DoesNotContain(after.Records, r => r.Source == "before");
    }

    /// <summary>A consumer's handler that keeps what it was given and signals each batch.</summary>
    protected sealed class Collector(Action<IReadOnlyList<StreamDelivery>>? before = null)
    {
        private readonly ConcurrentQueue<IReadOnlyList<StreamDelivery>> _written = new();
        private readonly ConcurrentDictionary<long, int> _offered = new();
        private readonly SemaphoreSlim _signal = new(0);

        public IReadOnlyList<IReadOnlyList<StreamDelivery>> Batches => [.. _written];

        public List<StreamRecord> Records => _written.SelectMany(b => b.SelectMany(d => d.Records)).ToList();

        public int Offered(long position) => _offered.GetValueOrDefault(position);

        public Task HandleAsync(IReadOnlyList<StreamDelivery> batch, CancellationToken ct)
        {
            foreach (var record in batch.SelectMany(d => d.Records))
            {
                _offered.AddOrUpdate(record.Position, 1, (_, n) => n + 1);
            }

            before?.Invoke(batch);
            _written.Enqueue(batch);
            _signal.Release();
            return Task.CompletedTask;
        }

        /// <summary>Waits for each written batch until the condition holds, failing after a minute.</summary>
        public async Task WaitForAsync(Func<List<StreamRecord>, bool> condition)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (!condition(Records))
            {
                var left = deadline - DateTime.UtcNow;
                Assert.True(left > TimeSpan.Zero, $"only {Records.Count} records arrived");
                await _signal.WaitAsync(left);
            }
        }
    }
}

public sealed class EmbeddedTransportTests : TransportContract
{
    protected override IStreamTransport CreateTransport(TransportOptions options) =>
        new EmbeddedTransport(Options.Create(options), NullLogger<EmbeddedTransport>.Instance);
}

/// <summary>The contract against Kafka: the real client on librdkafka's mock cluster (three brokers, real sockets).</summary>
public sealed class KafkaTransportTests : TransportContract
{
    private MockKafkaCluster? _cluster;

    public override Task InitializeAsync()
    {
        _cluster = new MockKafkaCluster(3);
        return Task.CompletedTask;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _cluster?.Dispose();
    }

    protected override IStreamTransport CreateTransport(TransportOptions options)
    {
        options.Engine = "kafka";
        options.Kafka.BootstrapServers = _cluster!.BootstrapServers;
        options.Kafka.CreateTopics = false;
        return new KafkaTransport(Options.Create(options), NullLogger<KafkaTransport>.Instance);
    }

    protected override int BatchOvershoot => KafkaTransport.MessageRecords - 1;
}
