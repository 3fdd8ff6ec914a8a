using Mysimbdp.Avro;
using Catalog.Datasets;
using Coredms;
using Ingestion.Conversion;
using Ingestion.Pipeline;
using StreamIngestManager.Transport;

namespace StreamIngestManager.Publishing;

/// <summary>
/// Where a streamed file's or events request's rows go: each good row is published as an Avro record of the
/// dataset's schema, keyed by its primary key; quarantined rows are written to coredms at once (they have
/// nothing to stream). A batch is done when the transport has it durably.
/// </summary>
public sealed class TransportSink(IStreamTransport transport, ICoredms coredms, Dataset dataset, TimeSpan? ttl, string source) : IRowSink
{
    private readonly RecordEncoder _encoder = new(dataset.Schema);
    private readonly RowBatchSource _cells = new(dataset);
    private readonly RecordKeys _keys = new(dataset);
    private readonly BinaryEncoder _value = new(1024);
    private long _published;

    public async Task WriteAsync(RowBatch rows, RowBatch quarantine, CancellationToken ct)
    {
        if (quarantine.Count > 0)
        {
            await coredms.UpsertAsync(quarantine, ttl, ct);
        }

        if (rows.Count == 0)
        {
            return;
        }

        var records = new StreamRecord[rows.Count];
        _cells.Rows = rows;
        for (var row = 0; row < rows.Count; row++)
        {
            _cells.Row = row;
            _value.Clear();
            _encoder.Write(_cells, _value);
            records[row] = new StreamRecord(_keys.Of(rows, row), _value.ToArray(), source, ++_published);
        }

        await transport.PublishAsync(dataset.Tenant, dataset.Name, dataset.Fingerprint, records, ct);
    }
}

/// <summary>
/// A row's primary key as message key bytes: each key column in order, integers as zig-zag varints, doubles as
/// their 8 bytes, text and blobs length-prefixed. Equal keys give equal bytes, so one key keeps one partition.
/// </summary>
public sealed class RecordKeys(Dataset dataset)
{
    private readonly (int Column, ValueStorage Storage)[] _columns = dataset.PrimaryKey
        .Select(k => dataset.Table.IndexOf(k))
        .Select(i => (i, dataset.Table.Columns[i].Type.Storage))
        .ToArray();

    private readonly BinaryEncoder _key = new(64);

    public byte[] Of(RowBatch rows, int row)
    {
        _key.Clear();
        foreach (var (column, storage) in _columns)
        {
            switch (storage)
            {
                case ValueStorage.Int64: _key.WriteLong(rows.GetInt64(row, column)); break;
                case ValueStorage.Double: _key.WriteDouble(rows.GetDouble(row, column)); break;
                default: _key.WriteBytes(rows.GetBytes(row, column)); break;
            }
        }

        return _key.ToArray();
    }
}
