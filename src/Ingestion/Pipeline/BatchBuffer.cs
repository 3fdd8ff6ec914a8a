using System.Threading.Channels;
using Catalog.Datasets;
using Coredms;
using Ingestion.Conversion;

namespace Ingestion.Pipeline;

/// <summary>
/// Moves rows from the parsing thread to the writer: a few reusable batches (rows plus their quarantine)
/// cycle between a "free" and a "full" channel, so parsing the next batch overlaps with writing the last
/// one, and memory stays at a few batches whatever the file's size.
/// </summary>
internal sealed class BatchBuffer
{
    public const int RowsPerBatch = 131072;

    private readonly Channel<(RowBatch Rows, RowBatch Quarantine)> _free;
    private readonly Channel<(RowBatch Rows, RowBatch Quarantine)> _full;
    private readonly Dataset _dataset;
    private readonly string _fileId;
    private readonly DateTimeOffset _now;

    private readonly int _rowsPerBatch;

    /// <param name="dataset">Whose rows.</param>
    /// <param name="fileId">The file (or events request) quarantined rows are kept under.</param>
    /// <param name="now">When quarantined rows were quarantined.</param>
    /// <param name="batches">Batches cycling between parsing and writing.</param>
    /// <param name="rowsPerBatch">Rows a batch holds before it is handed over (content known to be smaller sizes it to fit).</param>
    public BatchBuffer(Dataset dataset, string fileId, DateTimeOffset now, int batches = 3, int rowsPerBatch = RowsPerBatch)
    {
        _rowsPerBatch = rowsPerBatch;
        _dataset = dataset;
        _fileId = fileId;
        _now = now;
        _free = Channel.CreateBounded<(RowBatch, RowBatch)>(batches);
        _full = Channel.CreateBounded<(RowBatch, RowBatch)>(batches);
        for (var i = 0; i < batches; i++)
        {
            _free.Writer.TryWrite((new RowBatch(dataset.Table, rowsPerBatch), new RowBatch(dataset.Quarantine, 64)));
        }

        Take();
    }

    public RowBatch Rows { get; private set; } = null!;

    public RowBatch Quarantine { get; private set; } = null!;

    public long Quarantined { get; private set; }

    /// <summary>Quarantined rows by rule, for the file's outcome.</summary>
    public Dictionary<string, long> QuarantinedByRule { get; } = new(StringComparer.Ordinal);

    public long Loaded { get; private set; }

    /// <summary>Keeps the row being built; hands the batch over when it is full.</summary>
    public void CommitRow()
    {
        Rows.EndRow();
        Loaded++;
        if (Rows.Count >= _rowsPerBatch || Quarantine.Count >= _rowsPerBatch)
        {
            Flush();
        }
    }

    public void QuarantineRow(long line, RowProblem problem, ReadOnlySpan<byte> raw)
    {
        Rows.DiscardRow();
        Catalog.Datasets.Quarantine.Append(Quarantine, _dataset.Name, _fileId, line, problem.Column, problem.Rule, problem.Message, raw, _now);
        Quarantined++;
        QuarantinedByRule[problem.Rule] = QuarantinedByRule.GetValueOrDefault(problem.Rule) + 1;
        if (Quarantine.Count >= _rowsPerBatch)
        {
            Flush();
        }
    }

    /// <summary>Hands over what is pending (called at the end of the file too).</summary>
    public void Flush()
    {
        if (Rows.Count == 0 && Quarantine.Count == 0)
        {
            return;
        }

        if (!_full.Writer.TryWrite((Rows, Quarantine)))
        {
            _full.Writer.WriteAsync((Rows, Quarantine)).AsTask().GetAwaiter().GetResult();
        }

        Take();
    }

    public void Complete(Exception? error = null) => _full.Writer.TryComplete(error);

    /// <summary>The writer failed: release the parsing thread if it waits for a free or full slot.</summary>
    public void Abort()
    {
        var stopped = new OperationCanceledException("The writer stopped.");
        _full.Writer.TryComplete(stopped);
        _free.Writer.TryComplete(stopped);
    }

    private void Take()
    {
        if (!_free.Reader.TryRead(out var batch))
        {
            batch = _free.Reader.ReadAsync().AsTask().GetAwaiter().GetResult();
        }

        batch.Rows.Clear();
        batch.Quarantine.Clear();
        (Rows, Quarantine) = batch;
    }

    /// <summary>The writer side: writes every full batch to the sink and recycles it.</summary>
    public async Task DrainAsync(IRowSink sink, CancellationToken ct)
    {
        await foreach (var (rows, quarantine) in _full.Reader.ReadAllAsync(ct))
        {
            await sink.WriteAsync(rows, quarantine, ct);
            rows.Clear();
            quarantine.Clear();
            await _free.Writer.WriteAsync((rows, quarantine), ct);
        }
    }
}
