using System.Collections.Concurrent;
using Mysimbdp.Avro;
using Coredms;

namespace Catalog.Datasets;

/// <summary>
/// Schemas by their CRC-64-AVRO fingerprint. Records on the stream carry the fingerprint of the schema they
/// were written with; a consumer reads them with that schema resolved against the dataset's current one.
/// </summary>
public sealed class SchemaCatalog(ICoredms coredms, DataClock clock)
{
    private static readonly TableSchema Table = PlatformTables.Schemas;
    private readonly ConcurrentDictionary<long, Schema> _cache = new();

    public async Task RegisterAsync(Schema schema, CancellationToken ct)
    {
        var row = new RowBatch(Table, 1);
        row.SetValue(0, schema.Fingerprint64);
        row.SetValue(1, schema.ToJson());
        row.SetValue(2, clock.GetUtcNow());
        row.EndRow();
        await coredms.InsertIfAbsentAsync(row, null, ct);
        _cache[schema.Fingerprint64] = schema;
    }

    public async Task<Schema?> GetAsync(long fingerprint, CancellationToken ct)
    {
        if (_cache.TryGetValue(fingerprint, out var cached))
        {
            return cached;
        }

        var page = await coredms.SelectAsync(Table, new SelectQuery([fingerprint], 1), ct);
        if (page.Rows.Count == 0)
        {
            return null;
        }

        var schema = Schema.Parse((string)page.Rows[0][1]!);
        _cache[fingerprint] = schema;
        return schema;
    }
}
