using Catalog.Datasets;
using Catalog.Files;
using Coredms;
using Ingestion.Conversion;
using IngestionLog;

namespace Ingestion.Pipeline;

/// <summary>
/// Ingests one file of a dataset: parsing on one thread, writing on another, with the dataset's
/// <c>on_error</c> deciding the file's fate. <c>continue</c> loads the good rows in one pass. <c>skip_file</c>
/// and <c>abort</c> first validate the whole file (quarantining what fails) and load only if it passes:
/// with no bad row at all for skip_file, with a share of bad rows at most <c>max_error_ratio</c> for abort
/// (which stops reading as soon as the share is passed, once <see cref="AbortSample"/> rows were seen).
/// A failed file therefore never has some rows loaded.
/// </summary>
public sealed class FileIngestion(DataClock clock)
{
    /// <summary>Rows read before abort judges the error ratio mid-file; shorter files are judged at their end.</summary>
    public const int AbortSample = 1000;

    /// <param name="dataset">The dataset the rows belong to.</param>
    /// <param name="fileId">The file's id (or the events request's), kept with quarantined rows.</param>
    /// <param name="open">Opens the content; called once per pass.</param>
    /// <param name="sink">Where rows and quarantined rows go.</param>
    /// <param name="progress">Told the rows read so far, now and then, from the parsing thread.</param>
    /// <param name="ct">Stops the ingestion.</param>
    public async Task<IngestionResult> RunAsync(Dataset dataset, string fileId, Func<Stream> open, IRowSink sink,
        Action<long>? progress = null, CancellationToken ct = default)
    {
        progress ??= _ => { };
        switch (dataset.OnError)
        {
            case OnError.Continue:
                var all = await PassAsync(dataset, fileId, open, sink, (_, _) => true, progress, ct);
                return (all.Outcome.Error is { } error
                    ? IngestionResult.Failed(error, all.Outcome.Read, all.Loaded, all.Quarantined, all.Outcome.Skipped)
                    : Done(all.Outcome, all.Loaded, all.Quarantined, all.Rules)) with { Header = all.Outcome.Header };
            default:
                var abort = dataset.OnError == OnError.Abort;
                var ratio = dataset.MaxErrorRatio;
                var check = await PassAsync(dataset, fileId, open, new FilteredSink(sink, rows: false, quarantine: true),
                    (read, bad) => !abort || read < AbortSample || bad <= ratio * read, progress, ct);
                var (read, bad) = (check.Outcome.Read, check.Quarantined);
                var header = check.Outcome.Header;
                if (check.Outcome.Error is { } fileError)
                {
                    return IngestionResult.Failed(fileError, read, 0, bad, check.Outcome.Skipped) with { Header = header };
                }

                if (!abort && bad > 0)
                {
                    return IngestionResult.Failed($"on_error skip_file: {bad} of {read} rows failed validation ({Rules(check.Rules)}; see the quarantine), so nothing was loaded.",
                        read, 0, bad, check.Outcome.Skipped) with { Header = header };
                }

                if (abort && bad > ratio * read)
                {
                    return IngestionResult.Failed($"on_error abort: {bad} of the first {read} rows ({100.0 * bad / read:F1}%) failed validation ({Rules(check.Rules)}), " +
                        $"over max_error_ratio {ratio:G}; nothing was loaded.", read, 0, bad, check.Outcome.Skipped) with { Header = header };
                }

                var load = await PassAsync(dataset, fileId, open, new FilteredSink(sink, rows: true, quarantine: false), (_, _) => true, progress, ct);
                return (load.Outcome.Error is { } loadError
                    ? IngestionResult.Failed(loadError, load.Outcome.Read, load.Loaded, bad, load.Outcome.Skipped)
                    : Done(load.Outcome, load.Loaded, bad, check.Rules)) with { Header = header };
        }
    }

    /// <summary>
    /// Ingests an events request (JSON lines, in memory) on the calling thread: parsed straight from the body into one
    /// batch sized to its <paramref name="events"/>, then handed to the sink once. Bad events are quarantined and the
    /// good ones loaded, whatever the dataset's <c>on_error</c> (each event stands alone).
    /// </summary>
    public async Task<IngestionResult> IngestEventsAsync(Dataset dataset, string requestId, ReadOnlyMemory<byte> body, int events, IRowSink sink, CancellationToken ct)
    {
        var buffer = new BatchBuffer(dataset, requestId, clock.GetUtcNow(), batches: 1, rowsPerBatch: events + 1);
        var outcome = new JsonRows(dataset, Converters(dataset), new QualityChecker(dataset, clock)).Produce(body.Span, buffer);
        await sink.WriteAsync(buffer.Rows, buffer.Quarantine, ct);
        return Done(outcome, buffer.Loaded, buffer.Quarantined, buffer.QuarantinedByRule);
    }

    /// <summary>
    /// The outcome of a pass that ran through: loaded when no row was quarantined, partially loaded when some rows
    /// loaded, failed (with the reasons) when rows were read and none loaded.
    /// </summary>
    private static IngestionResult Done(CsvRows.Outcome outcome, long loaded, long quarantined, IReadOnlyDictionary<string, long> rules) =>
        quarantined == 0 ? new(FileStatus.Loaded, outcome.Read, loaded, 0, outcome.Skipped, null)
        : loaded > 0 ? new(FileStatus.PartiallyLoaded, outcome.Read, loaded, quarantined, outcome.Skipped, null)
        : IngestionResult.Failed($"No row was loaded: all {quarantined} rows failed validation ({Rules(rules)}); see the quarantine.",
            outcome.Read, 0, quarantined, outcome.Skipped);

    /// <summary>The rules rows were quarantined under, most frequent first: "field_count 4,990, type 10".</summary>
    private static string Rules(IReadOnlyDictionary<string, long> rules) =>
        string.Join(", ", rules.OrderByDescending(r => r.Value).ThenBy(r => r.Key, StringComparer.Ordinal).Take(5).Select(r => $"{r.Key} {r.Value:N0}"));

    private async Task<(CsvRows.Outcome Outcome, long Loaded, long Quarantined, IReadOnlyDictionary<string, long> Rules)> PassAsync(Dataset dataset, string fileId, Func<Stream> open,
        IRowSink sink, Func<long, long, bool> keepGoing, Action<long> progress, CancellationToken ct)
    {
        var buffer = new BatchBuffer(dataset, fileId, clock.GetUtcNow());
        var quality = new QualityChecker(dataset, clock);
        var bulk = BulkLane.IsCurrent;
        var producer = Task.Factory.StartNew(() =>
        {
            try
            {
                // Its own thread, so that it may block on the buffer; at the lane's priority when the file is bulk work.
                if (bulk)
                {
                    BulkLane.LowerCurrentThread();
                }

                using var content = open();
                var outcome = dataset.FileType == FileType.Avro ? new AvroRows(dataset, quality).Produce(content, buffer, keepGoing, progress)
                    : new CsvRows(dataset, Converters(dataset), quality).Produce(content, buffer, keepGoing, progress);
                buffer.Flush();
                buffer.Complete();
                progress(outcome.Read);
                return outcome;
            }
            catch (Exception e)
            {
                buffer.Complete(e);
                throw;
            }
        }, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        try
        {
            await buffer.DrainAsync(sink, ct);
        }
        catch
        {
            buffer.Abort();
            await Task.WhenAny(producer);
            throw;
        }

        var result = await producer;
        return (result, buffer.Loaded, buffer.Quarantined, buffer.QuarantinedByRule);
    }

    public static FieldConverter[] Converters(Dataset dataset) =>
        dataset.Schema.Fields.Select((f, i) => new FieldConverter(f, i, dataset.Formats)).ToArray();

    /// <summary>Lets only rows or only quarantine through to the real sink.</summary>
    private sealed class FilteredSink(IRowSink inner, bool rows, bool quarantine) : IRowSink
    {
        private RowBatch? _noRows;
        private RowBatch? _noQuarantine;

        public Task WriteAsync(RowBatch rowBatch, RowBatch quarantineBatch, CancellationToken ct) => inner.WriteAsync(
            rows ? rowBatch : _noRows ??= new RowBatch(rowBatch.Table, 1),
            quarantine ? quarantineBatch : _noQuarantine ??= new RowBatch(quarantineBatch.Table, 1),
            ct);
    }
}

/// <summary>Writes rows and quarantined rows to coredms, both expiring after the tenant's retention.</summary>
public sealed class CoredmsSink(ICoredms coredms, TimeSpan? ttl) : IRowSink
{
    public async Task WriteAsync(RowBatch rows, RowBatch quarantine, CancellationToken ct)
    {
        if (rows.Count > 0)
        {
            await IngestionMetrics.TimeWriteAsync(rows.Table.Keyspace, "file", () => coredms.UpsertAsync(rows, ttl, ct));
        }

        if (quarantine.Count > 0)
        {
            await coredms.UpsertAsync(quarantine, ttl, ct);
        }
    }
}
