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
public sealed class DatasetCatalog(ICoredms coredms, SchemaCatalog schemas, DataClock clock) : IDisposable
{
    private static readonly TableSchema Table = PlatformTables.Datasets;
    private readonly SemaphoreSlim _registration = new(1, 1);

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
            var row = new RowBatch(Table, 1);
            row.SetValue(Table.IndexOf("tenant"), tenant);
            row.SetValue(Table.IndexOf("name"), name);
            row.SetValue(Table.IndexOf("document"), document.GetRawText());
            row.SetValue(Table.IndexOf("keyspace"), dataset.Keyspace);
            row.SetValue(Table.IndexOf("table_name"), dataset.TableName);
            row.SetValue(Table.IndexOf("fingerprint"), dataset.Fingerprint);
            row.SetValue(Table.IndexOf("created_at"), previous is null ? now : await CreatedAtAsync(tenant, name, ct) ?? now);
            row.SetValue(Table.IndexOf("updated_at"), now);
            row.EndRow();
            await schemas.RegisterAsync(dataset.Schema, ct);
            await coredms.UpsertAsync(row, null, ct);
            Changed?.Invoke(dataset);
            return new DatasetPutResult(previous is null ? PutOutcome.Created : PutOutcome.Replaced, dataset);
        }
        finally
        {
            _registration.Release();
        }
    }

    /// <summary>Removes every dataset of the tenant with its keyspaces (tables, rows and quarantine).</summary>
    public async Task DeleteAllAsync(string tenant, CancellationToken ct)
    {
        var all = await ListAsync(tenant, ct);
        foreach (var keyspace in all.Select(d => d.Keyspace).Distinct())
        {
            await coredms.DropKeyspaceAsync(keyspace, ct);
        }

        await coredms.DeleteAsync(Table, [tenant], ct);
        foreach (var dataset in all)
        {
            _parsed.TryRemove((tenant, dataset.Name), out _);
        }
    }

    public async Task<Dataset?> GetAsync(string tenant, string name, CancellationToken ct)
    {
        var page = await coredms.SelectAsync(Table, new SelectQuery([tenant, name], 1), ct);
        return page.Rows.Count == 0 ? null : ToDataset(page.Rows[0]);
    }

    public async Task<IReadOnlyList<Dataset>> ListAsync(string tenant, CancellationToken ct)
    {
        var datasets = new List<Dataset>();
        string? state = null;
        do
        {
            var page = await coredms.SelectAsync(Table, new SelectQuery([tenant], 500, state), ct);
            datasets.AddRange(page.Rows.Select(ToDataset));
            state = page.PagingState;
        }
        while (state is not null);

        return datasets;
    }

    private async Task<DateTimeOffset?> CreatedAtAsync(string tenant, string name, CancellationToken ct)
    {
        var page = await coredms.SelectAsync(Table, new SelectQuery([tenant, name], 1), ct);
        return page.Rows.Count == 0 ? null : page.Rows[0].Get<DateTimeOffset>(Table, "created_at");
    }

    private Dataset ToDataset(object?[] row)
    {
        var key = (row.Text(Table, "tenant"), row.Text(Table, "name"));
        var document = row.Text(Table, "document");
        if (_parsed.TryGetValue(key, out var cached) && cached.Document == document)
        {
            return cached.Dataset;
        }

        using var json = JsonDocument.Parse(document);
        var parsed = (document, Dataset.From(key.Item1, key.Item2, json.RootElement));
        return _parsed.AddOrUpdate(key, parsed, (_, racing) => racing.Document == document ? racing : parsed).Dataset;
    }

    public void Dispose() => _registration.Dispose();
}
