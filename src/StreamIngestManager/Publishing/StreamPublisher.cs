using Catalog.Datasets;
using Coredms;
using Ingestion.Pipeline;
using StreamIngestManager.Transport;

namespace StreamIngestManager.Publishing;

/// <summary>Where streamed rows go: a <see cref="TransportSink"/> per file or events request, on this process's transport.</summary>
public sealed class StreamPublisher(IStreamTransport transport, ICoredms coredms)
{
    /// <summary>A sink publishing <paramref name="dataset"/>'s rows from <paramref name="source"/> (a file id or request id), kept for <paramref name="retention"/>.</summary>
    public IRowSink SinkFor(Dataset dataset, TimeSpan? retention, string source) => new TransportSink(transport, coredms, dataset, retention, source);
}
