using System.Text.Json;
using Coredms;

namespace Catalog.Datasets;

/// <summary>What registering a data configuration did.</summary>
public enum PutOutcome
{
    Created,
    Replaced,
    Conflict,
}

public sealed record DatasetPutResult(PutOutcome Outcome, Dataset? Dataset, string? Conflict = null);

/// <summary>
/// Data configurations per tenant. Registering one creates its keyspace and table in coredms; a dataset
/// that would share a table with another dataset of the tenant must have the same schema and key.
/// </summary>
public sealed class DatasetCatalog(ICoredms coredms, SchemaCatalog schemas, DataClock clock) : Tenants.ITenantData, IDisposable
{
    private readonly CatalogTable<Stored> _table = new(coredms, PlatformTables.Datasets, d => new()
    {
        ["tenant"] = d.Tenant, ["name"] = d.Name, ["document"] = d.Document, ["keyspace"] = d.Keyspace, ["table_name"] = d.TableName,
        ["fingerprint"] = d.Fingerprint, ["created_at"] = d.CreatedAt, ["updated_at"] = d.UpdatedAt,
    }, r => new Stored(r.Text("tenant"), r.Text("name"), r.Text("document"), r.Text("keyspace"), r.Text("table_name"), r.Get<long>("fingerprint"),
        r.Get<DateTimeOffset>("created_at"), r.Get<DateTimeOffset>("updated_at")));

    private readonly SemaphoreSlim _registration = new(1, 1);

    private sealed record Stored(string Tenant, string Name, string Document, string Keyspace, string TableName, long Fingerprint,
        DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

    /// <summary>
    /// Datasets as last parsed, by tenant and name, with the document they were parsed from: listings and lookups
    /// (which every request and every stream rescan makes) parse a document again only when it changed.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Tenant, string Name), (string Document, Dataset Dataset)> _parsed = new();

    /// <summary>Raised after a dataset is registered or replaced, so that stream consumers can follow.</summary>
    public event Action<Dataset>? Changed;

    public async Task<DatasetPutResult> PutAsync(string tenant, string name, JsonElement document, CancellationToken ct)
    {
        var dataset = Dataset.From(tenant, name, document);
        await _registration.WaitAsync(ct);
        try
        {
            var others = await ListAsync(tenant, ct);
            var previous = others.FirstOrDefault(d => d.Name == name);
            foreach (var other in others.Where(d => d.Name != name))
            {
                if (other.Keyspace == dataset.Keyspace && other.TableName == dataset.TableName
                    && (other.Fingerprint != dataset.Fingerprint || other.Table.Definition != dataset.Table.Definition))
                {
                    return new DatasetPutResult(PutOutcome.Conflict, null,
                        $"Dataset '{name}' maps to table {dataset.LogicalKeySpace}.{dataset.TableName} (key_space '{dataset.LogicalKeySpace}', record '{dataset.Schema.Name}'), " +
                        $"which dataset '{other.Name}' already uses with a different schema or primary key. Use another key_space or record name, or the same schema.");
                }

                if (other.IsDefault && dataset.IsDefault)
                {
                    return new DatasetPutResult(PutOutcome.Conflict, null, $"Dataset '{other.Name}' is already the tenant's default; only one dataset can be.");
                }
            }

            try
            {
                await coredms.EnsureKeyspaceAsync(dataset.Keyspace, ct);
                await coredms.EnsureTableAsync(dataset.Table, ct);
                await coredms.EnsureTableAsync(dataset.Quarantine, ct);
            }
            catch (CoredmsException e) when (e is not StoreFullException)
            {
                return new DatasetPutResult(PutOutcome.Conflict, null, $"Dataset '{name}' cannot use its table: {e.Message}");
            }

            var now = clock.GetUtcNow();
            var created = previous is null ? now : (await _table.GetAsync([tenant, name], ct))?.CreatedAt ?? now;
            await schemas.RegisterAsync(dataset.Schema, ct);
            await _table.SaveAsync(new Stored(tenant, name, document.GetRawText(), dataset.Keyspace, dataset.TableName, dataset.Fingerprint, created, now), ct);
            Changed?.Invoke(dataset);
            return new DatasetPutResult(previous is null ? PutOutcome.Created : PutOutcome.Replaced, dataset);
        }
        finally
        {
            _registration.Release();
        }
    }

    /// <summary>Removes every dataset of the tenant with its keyspaces (tables, rows and quarantine).</summary>
    public async Task DeleteTenantAsync(string tenant, CancellationToken ct)
    {
        var all = await ListAsync(tenant, ct);
        foreach (var keyspace in all.Select(d => d.Keyspace).Distinct())
        {
            await coredms.DropKeyspaceAsync(keyspace, ct);
        }

        await _table.DeleteAsync([tenant], ct);
        foreach (var dataset in all)
        {
            _parsed.TryRemove((tenant, dataset.Name), out _);
        }
    }

    public async Task<Dataset?> GetAsync(string tenant, string name, CancellationToken ct) =>
        await _table.GetAsync([tenant, name], ct) is { } stored ? Parsed(stored) : null;

    public async Task<IReadOnlyList<Dataset>> ListAsync(string tenant, CancellationToken ct) => (await _table.ListAsync([tenant], ct)).Select(Parsed).ToList();

    private Dataset Parsed(Stored stored)
    {
        var key = (stored.Tenant, stored.Name);
        if (_parsed.TryGetValue(key, out var cached) && cached.Document == stored.Document)
        {
            return cached.Dataset;
        }

        using var json = JsonDocument.Parse(stored.Document);
        var parsed = (stored.Document, Dataset.From(stored.Tenant, stored.Name, json.RootElement));
        return _parsed.AddOrUpdate(key, parsed, (_, racing) => racing.Document == stored.Document ? racing : parsed).Dataset;
    }

    public void Dispose() => _registration.Dispose();
}
