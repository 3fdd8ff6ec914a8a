using Catalog.Datasets;
using Catalog.Usage;
using Coredms;
using Ingestion.Pipeline;
using IngestionLog;
using StreamIngestManager.Publishing;

namespace StreamIngestManager.Events;

/// <summary>An event that was quarantined, as the events endpoint reports it.</summary>
public sealed record RejectedEvent(long Line, string Column, string Rule, string Reason);

/// <summary>What became of one events request.</summary>
public sealed record EventsResult(string RequestId, IngestionResult Result, IReadOnlyList<RejectedEvent> Examples);

/// <summary>
/// Takes an events request (JSON lines) through the same conversion, quality rules and quarantine as files,
/// and publishes the good events to the transport. When it returns, the events are durable in the transport
/// (Kafka acknowledged them, or the embedded consumer wrote them) and the bad ones are in the quarantine
/// under the request id.
/// </summary>
public sealed class EventIngestion(FileIngestion ingestion, StreamPublisher publisher, ILogger<EventIngestion> logger)
{
    public const int MaxExamples = 10;

    public async Task<EventsResult> IngestAsync(Dataset dataset, TimeSpan retention, ReadOnlyMemory<byte> body, int events, CancellationToken ct)
    {
        var requestId = "events-" + Guid.CreateVersion7().ToString("N");
        var sink = new ExampleKeeper(publisher.SinkFor(dataset, retention, requestId));
        var started = TimeProvider.System.GetTimestamp();
        var result = await ingestion.IngestEventsAsync(dataset, requestId, body, events, sink, ct);
        logger.IngestionEvent(IngestionEvents.EventsAccepted,
            "{EventAction}: {TenantId}/{Dataset} request {RequestId}: {RowsLoaded} of {RowsRead} events accepted, {RowsQuarantined} quarantined, {Bytes} bytes in {EventDuration} ms",
            dataset.Tenant, dataset.Name, requestId, result.RowsLoaded, result.RowsRead, result.RowsQuarantined, body.Length,
            (long)TimeProvider.System.GetElapsedTime(started).TotalMilliseconds);
        return new EventsResult(requestId, result, sink.Examples);
    }

    /// <summary>Keeps the first quarantined events for the response.</summary>
    private sealed class ExampleKeeper(IRowSink inner) : IRowSink
    {
        public List<RejectedEvent> Examples { get; } = [];

        public Task WriteAsync(RowBatch rows, RowBatch quarantine, CancellationToken ct)
        {
            for (var i = 0; i < quarantine.Count && Examples.Count < MaxExamples; i++)
            {
                var q = Quarantine.Read(quarantine, i);
                Examples.Add(new RejectedEvent(q.Line, q.Column, q.Rule, q.Reason));
            }

            return inner.WriteAsync(rows, quarantine, ct);
        }
    }
}
