using System.Collections.Concurrent;
using Catalog.Agreements;
using Catalog.Datasets;
using Coredms;
using Ingestion.Conversion;
using IngestionLog;
using Mysimbdp.Avro;
using StreamIngestManager.Transport;

namespace StreamIngestManager.Consuming;

/// <summary>
/// Writes a consumer's micro-batch to coredms: per dataset, every record decoded with the schema it was written
/// with (found by fingerprint) resolved against the dataset's current schema, all upserted in one batch in
/// arrival order (so the last record of a key wins), with the agreement's retention as TTL. A record that
/// cannot be read (a poison record, or one written with a schema the platform does not know) goes to the
/// quarantine with the reason; it never blocks its partition. Anything else that fails throws, and the
/// transport offers the batch again. A dataset with a lake sink has the rows spooled for it too (<see cref="Ingestion.Lake.LakeStreams"/>).
/// </summary>
public sealed class DeliveryWriter(DatasetCatalog datasets, AgreementCatalog agreements, SchemaCatalog schemas, ICoredms coredms, Ingestion.Lake.LakeStreams lake,
    DataClock clock, ILogger<DeliveryWriter> logger)
{
    private readonly ConcurrentDictionary<(long Writer, long Reader), RecordDecoder> _decoders = new();

    public async Task WriteAsync(IReadOnlyList<StreamDelivery> deliveries, CancellationToken ct)
    {
        foreach (var group in deliveries.GroupBy(d => (d.Tenant, d.Dataset)))
        {
            var (tenant, name) = group.Key;
            var count = group.Sum(d => d.Records.Count);
            if (await datasets.GetAsync(tenant, name, ct) is not { } dataset)
            {
                logger.LogError("{Records} streamed records of {TenantId} are for dataset {Dataset}, which is not registered; they were skipped",
                    count, tenant, name);
                continue;
            }

            var ttl = (await agreements.GetAsync(tenant, ct))?.Retention;
            await WriteAsync(dataset, group, count, ttl, ct);

            // Written to a table a replace has just switched away from (and drops): written again to the dataset's new
            // table, so that these records come after the replace instead of vanishing with the old rows.
            while (await datasets.SwitchedAwayAsync(dataset, ct) is { } now)
            {
                dataset = now;
                await WriteAsync(dataset, group, count, ttl, ct);
            }
        }
    }

    private async Task WriteAsync(Dataset dataset, IEnumerable<StreamDelivery> group, int count, TimeSpan? ttl, CancellationToken ct)
    {
        // Room for every record, and an arena of the values' size: their text is in them as the rows hold it, so the
        // arena grows only for text a value does not carry (a default of a newer schema, a decimal made text).
        var rows = new RowBatch(dataset.Table, count, group.Sum(d => d.Records.Sum(r => r.Value.Length)));
        var quarantine = new RowBatch(dataset.Quarantine, 4);
        var sink = new RowBatchSink(dataset) { Rows = rows };
        var ids = dataset.Lake is null ? null : new List<Ingestion.Lake.RecordId>(count);
        foreach (var delivery in group)
        {
            var (decoder, problem) = await DecoderAsync(delivery.SchemaFingerprint, dataset, ct);
            foreach (var record in delivery.Records)
            {
                if (decoder is null)
                {
                    QuarantineRecord(quarantine, dataset, record, "schema", problem!);
                }
                else if (Decode(decoder, sink, record) is { } poison)
                {
                    rows.DiscardRow();
                    QuarantineRecord(quarantine, dataset, record, "poison", poison);
                }
                else
                {
                    rows.EndRow();
                    ids?.Add(new(record.Source, record.Position));
                }
            }
        }

        await IngestionMetrics.TimeWriteAsync(rows.Table.Keyspace, "stream", () => coredms.UpsertAsync(rows, ttl, ct));
        if (ids is not null)
        {
            // Spooled for the lake before the transport is told the batch is written.
            await lake.AppendAsync(dataset, rows, ids, ct);
        }

        if (quarantine.Count > 0)
        {
            await coredms.UpsertAsync(quarantine, ttl, ct);
            logger.IngestionEvent(IngestionEvents.RowsQuarantined, "{EventAction}: {TenantId}/{Dataset}: {RowsQuarantined} streamed records could not be read",
                dataset.Tenant, dataset.Name, quarantine.Count);
        }
    }

    private static string? Decode(RecordDecoder decoder, RowBatchSink sink, StreamRecord record)
    {
        try
        {
            var reader = new BinaryDecoder(record.Value);
            decoder.Read(ref reader, sink);
            return reader.AtEnd ? null : $"{reader.Remaining} bytes are left after the record";
        }
        catch (Exception e) when (e is AvroDataException or FormatException or OverflowException or ArgumentException)
        {
            return "the record is not valid Avro of its schema: " + e.Message;
        }
    }

    private async Task<(RecordDecoder? Decoder, string? Problem)> DecoderAsync(long fingerprint, Dataset dataset, CancellationToken ct)
    {
        if (_decoders.TryGetValue((fingerprint, dataset.Fingerprint), out var cached))
        {
            return (cached, null);
        }

        if (await schemas.GetAsync(fingerprint, ct) is not { } writer)
        {
            return (null, $"the record was written with schema {fingerprint:x16}, which was never registered");
        }

        try
        {
            return (_decoders.GetOrAdd((fingerprint, dataset.Fingerprint), new RecordDecoder(writer, dataset.Schema)), null);
        }
        catch (SchemaResolutionException e)
        {
            return (null, $"schema {fingerprint:x16} cannot be read as the dataset's current schema: {e.Message}");
        }
    }

    private void QuarantineRecord(RowBatch quarantine, Dataset dataset, StreamRecord record, string rule, string reason)
    {
        // Undecodable records are binary: kept as base64 of their first bytes, cut so that the text fits the raw limit.
        var raw = "base64:" + Convert.ToBase64String(record.Value.AsSpan(0, Math.Min(record.Value.Length, (Quarantine.RawLimit - 7) / 4 * 3)));
        Quarantine.Append(quarantine, dataset.Name, record.Source, record.Position, "", rule, reason, System.Text.Encoding.ASCII.GetBytes(raw), clock.GetUtcNow());
    }
}
