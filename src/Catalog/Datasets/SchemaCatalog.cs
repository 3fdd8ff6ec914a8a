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
    private readonly CatalogTable<Stored> _table = new(coredms, PlatformTables.Schemas,
        s => new() { ["fingerprint"] = s.Fingerprint, ["schema"] = s.Json, ["registered_at"] = s.RegisteredAt },
        r => new Stored(r.Get<long>("fingerprint"), r.Text("schema"), r.Get<DateTimeOffset>("registered_at")));

    private readonly ConcurrentDictionary<long, Schema> _cache = new();

    private sealed record Stored(long Fingerprint, string Json, DateTimeOffset RegisteredAt);

    public async Task RegisterAsync(Schema schema, CancellationToken ct)
    {
        await _table.InsertIfAbsentAsync(new Stored(schema.Fingerprint64, schema.ToJson(), clock.GetUtcNow()), null, ct);
        _cache[schema.Fingerprint64] = schema;
    }

    public async Task<Schema?> GetAsync(long fingerprint, CancellationToken ct)
    {
        if (_cache.TryGetValue(fingerprint, out var cached))
        {
            return cached;
        }

        if (await _table.GetAsync([fingerprint], ct) is not { } stored)
        {
            return null;
        }

        var schema = Schema.Parse(stored.Json);
        _cache[fingerprint] = schema;
        return schema;
    }
}
