using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace IngestionLog;

/// <summary>
/// A destination of the platform's structured log besides the console and the JSON files: the catalog (for the
/// admin API and page) and Elasticsearch (for Kibana). A sink says which documents it keeps and writes batches;
/// <see cref="LogSinkPump{TSink}"/> feeds it from a bounded buffer, so a slow sink never slows ingestion.
/// </summary>
public interface ILogSink
{
    string Name { get; }

    bool Accepts(EcsDocument document);

    int BatchSize { get; }

    /// <summary>How long a partial batch waits for more documents.</summary>
    TimeSpan FlushInterval { get; }

    /// <summary>Writes a batch; returns the documents to write again later (all of them when the destination is unreachable).</summary>
    Task<IReadOnlyList<EcsDocument>> WriteAsync(IReadOnlyList<EcsDocument> batch, CancellationToken ct);
}

/// <summary>Offers every log document to the buffer of each open sink. Made with the logger, before the host's services exist.</summary>
public sealed class LogRouter(int capacity)
{
    private readonly Lock _opening = new();
    private volatile LogBuffer[] _buffers = [];

    public LogBuffer Open(ILogSink sink)
    {
        var buffer = new LogBuffer(sink.Name, capacity, sink.Accepts);
        lock (_opening)
        {
            _buffers = [.. _buffers, buffer];
        }

        return buffer;
    }

    public void Offer(EcsDocument document)
    {
        foreach (var buffer in _buffers)
        {
            buffer.Offer(document);
        }
    }
}

/// <summary>
/// Drains one sink's buffer: a batch when it is full or its flush interval has passed; documents the sink gives back
/// go back to the buffer ahead of newer ones and the pump backs off (0.5 s doubling to 30 s). The buffer is bounded,
/// so a sink that stays away costs the oldest documents, counted and reported at most once a minute. On stop what
/// is left is written once (for at most 5 s), so that a clean shutdown loses no event.
/// </summary>
public sealed class LogSinkPump<TSink>(TSink sink, LogRouter router, ILogger<LogSinkPump<TSink>> logger) : BackgroundService
    where TSink : ILogSink
{
    private readonly LogBuffer _buffer = router.Open(sink);
    private long _reportedDrops;
    private DateTimeOffset _reportedAt = DateTimeOffset.MinValue;

    /// <summary>Documents dropped because the buffer was full, since start.</summary>
    public long Dropped => _buffer.Dropped;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            var batch = await _buffer.TakeAsync(sink.BatchSize, sink.FlushInterval, stoppingToken);
            ReportDrops();
            if (batch.Count == 0)
            {
                continue;
            }

            var again = await sink.WriteAsync(batch, stoppingToken);
            if (again.Count == 0)
            {
                backoff = TimeSpan.Zero;
                continue;
            }

            _buffer.Return(again);
            backoff = backoff == TimeSpan.Zero ? TimeSpan.FromMilliseconds(500) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            await Task.Delay(backoff, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        var rest = await _buffer.TakeAsync(int.MaxValue, TimeSpan.Zero, CancellationToken.None);
        if (rest.Count > 0)
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            IReadOnlyList<EcsDocument> lost;
            try
            {
                lost = await sink.WriteAsync(rest, limit.Token);
            }
            catch (OperationCanceledException)
            {
                lost = rest;
            }

            if (lost.Count > 0)
            {
                logger.LogWarning("{Documents} log documents could not be written to {Sink} before the host stopped", lost.Count, sink.Name);
            }
        }
    }

    private void ReportDrops()
    {
        var dropped = _buffer.Dropped;
        if (dropped > _reportedDrops && DateTimeOffset.UtcNow - _reportedAt >= TimeSpan.FromMinutes(1))
        {
            _reportedAt = DateTimeOffset.UtcNow;
            _reportedDrops = dropped;
            logger.LogWarning("{Dropped} log documents were dropped in all because {Sink} did not take them fast enough", dropped, sink.Name);
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _buffer.Dispose();
    }
}

public static class LogSinkRegistration
{
    /// <summary>Adds a log sink and the pump that feeds it.</summary>
    public static IServiceCollection AddLogSink<TSink>(this IServiceCollection services)
        where TSink : class, ILogSink
    {
        services.AddSingleton<TSink>();
        services.AddSingleton<LogSinkPump<TSink>>();
        services.AddHostedService(sp => sp.GetRequiredService<LogSinkPump<TSink>>());
        return services;
    }
}
