using System.Text.Json;
using Coredms;
using Mysimbdp.Avro;

namespace Catalog.Datasets;

/// <summary>What registering a data configuration did.</summary>
public enum PutOutcome
{
    Created,
    Replaced,
    Conflict,

    /// <summary>The new schema breaks the dataset's compatibility rule or what its table can follow (<see cref="DatasetPutResult.Problems"/>).</summary>
    Incompatible,
}

public sealed record DatasetPutResult(PutOutcome Outcome, Dataset? Dataset, string? Conflict = null, IReadOnlyList<SchemaChangeProblem>? Problems = null);

/// <summary>One registered version of a dataset's schema.</summary>
public sealed record SchemaVersion(int Version, long Fingerprint, RecordSchema Schema, DateTimeOffset RegisteredAt);

/// <summary>
/// Data configurations per tenant. Registering one creates its keyspace and table in coredms; a dataset
/// that would share a table with another dataset of the tenant must have the same schema and key.
/// </summary>
public sealed class DatasetCatalog(ICoredms coredms, SchemaCatalog schemas, DataClock clock) : Tenants.ITenantData, IDisposable
{
    private readonly CatalogTable<Stored> _table = new(coredms, PlatformTables.Datasets, d => new()
    {
        ["tenant"] = d.Tenant, ["name"] = d.Name, ["document"] = d.Document, ["keyspace"] = d.Keyspace, ["table_name"] = d.TableName,
        ["fingerprint"] = d.Fingerprint, ["created_at"] = d.CreatedAt, ["updated_at"] = d.UpdatedAt, ["paused_at"] = d.Pause?.At, ["pause_reason"] = d.Pause?.Reason,
    }, r => new Stored(r.Text("tenant"), r.Text("name"), r.Text("document"), r.Text("keyspace"), r.Text("table_name"), r.Get<long>("fingerprint"),
        r.Get<DateTimeOffset>("created_at"), r.Get<DateTimeOffset>("updated_at"),
        r.Get<DateTimeOffset?>("paused_at") is { } pausedAt ? new DatasetPause(pausedAt, r.Get<string?>("pause_reason") ?? "") : null));

    private readonly CatalogTable<StoredVersion> _versions = new(coredms, PlatformTables.DatasetSchemas, v => new()
    {
        ["tenant"] = v.Tenant, ["dataset"] = v.Dataset, ["version"] = v.Version, ["fingerprint"] = v.Fingerprint, ["schema"] = v.Schema,
        ["registered_at"] = v.RegisteredAt,
    }, r => new StoredVersion(r.Text("tenant"), r.Text("dataset"), r.Get<int>("version"), r.Get<long>("fingerprint"), r.Text("schema"), r.Get<DateTimeOffset>("registered_at")));

    private readonly SemaphoreSlim _registration = new(1, 1);

    private sealed record StoredVersion(string Tenant, string Dataset, int Version, long Fingerprint, string Schema, DateTimeOffset RegisteredAt);

    private sealed record Stored(string Tenant, string Name, string Document, string Keyspace, string TableName, long Fingerprint,
        DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DatasetPause? Pause = null);

    /// <summary>The columns registration writes: all but the pause, which only <see cref="SetPauseAsync"/> changes.</summary>
    private Dictionary<string, object?> Registered(Stored stored)
    {
        var changes = _table.Changes(stored);
        changes.Remove("paused_at");
        changes.Remove("pause_reason");
        return changes;
    }

    /// <summary>
    /// Datasets as last parsed, by tenant and name, with the document they were parsed from: listings and lookups
    /// (which every request and every stream rescan makes) parse a document again only when it changed.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Tenant, string Name), (string Document, Dataset Dataset)> _parsed = new();

    /// <summary>Raised after a dataset is registered or replaced, so that stream consumers can follow.</summary>
    public event Action<Dataset>? Changed;

    public async Task<DatasetPutResult> PutAsync(string tenant, string name, JsonElement document, CancellationToken ct)
    {
        await _registration.WaitAsync(ct);
        try
        {
            // A replace (in another process) may switch the dataset's table while this registers: then it starts over.
            while (true)
            {
                if (await TryPutAsync(tenant, name, document, ct) is { } result)
                {
                    return result;
                }
            }
        }
        finally
        {
            _registration.Release();
        }
    }

    private async Task<DatasetPutResult?> TryPutAsync(string tenant, string name, JsonElement document, CancellationToken ct)
    {
        var others = await ListAsync(tenant, ct);
        var previous = others.FirstOrDefault(d => d.Name == name);

        // The rows stay where they are: on the table a replace made the dataset's, or on the one it shares with
        // another dataset of the same keyspace and record.
        var dataset = Dataset.From(tenant, name, document);
        if (others.FirstOrDefault(d => d.Keyspace == dataset.Keyspace && d.BaseTableName == dataset.BaseTableName) is { } sameRecord)
        {
            dataset = dataset.OnTable((previous is not null && previous.BaseTableName == dataset.BaseTableName ? previous : sameRecord).TableName);
        }

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

        // A new schema for a registered dataset: the dataset's compatibility rule against its versions. Datasets
        // registered before versions were kept have their current schema as version 1.
        var versions = previous is null ? [] : await VersionsAsync(tenant, name, ct);
        var unversioned = previous is not null && versions.Count == 0;
        if (unversioned)
        {
            versions = [new SchemaVersion(1, previous!.Fingerprint, previous.Schema, (await _table.GetAsync([tenant, name], ct))?.UpdatedAt ?? clock.GetUtcNow())];
        }

        // A change of defaults or aliases is a new version too, though the canonical form (the fingerprint) leaves them out.
        var changed = versions.Count == 0 || versions[^1].Schema.ToJson() != dataset.Schema.ToJson();
        if (previous is not null && changed)
        {
            var problems = dataset.Compatibility.Check(previous, dataset, versions.Select(v => (v.Version, v.Schema)).ToList());
            if (problems.Count > 0)
            {
                return new DatasetPutResult(PutOutcome.Incompatible, null,
                    $"The new schema of dataset '{name}' does not meet its compatibility rule {dataset.Compatibility.Level} against version {versions[^1].Version}" +
                    (dataset.Compatibility.Transitive ? " and those before" : "") + ", or changes what its table cannot follow.", problems);
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
        if (unversioned)
        {
            await _versions.SaveAsync(new StoredVersion(tenant, name, 1, versions[0].Fingerprint, versions[0].Schema.ToJson(), versions[0].RegisteredAt), ct);
        }

        if (changed)
        {
            await _versions.SaveAsync(new StoredVersion(tenant, name, versions.Count + 1, dataset.Fingerprint, dataset.Schema.ToJson(), now), ct);
        }

        var stored = new Stored(tenant, name, document.GetRawText(), dataset.Keyspace, dataset.TableName, dataset.Fingerprint, created, now);
        if (previous is null)
        {
            await _table.SaveAsync(stored, ct);
        }
        else if (!await _table.UpdateIfAsync([tenant, name], Registered(stored), new() { ["table_name"] = previous.TableName }, ct))
        {
            return null;
        }

        dataset = previous?.Pause is { } pause ? Dataset.From(tenant, name, document, dataset.TableName, pause) : dataset;
        Changed?.Invoke(dataset);
        return new DatasetPutResult(previous is null ? PutOutcome.Created : PutOutcome.Replaced, dataset);
    }

    /// <summary>
    /// The dataset as registered now when a replace has switched it away from <paramref name="written"/>'s table and
    /// changed nothing else (what <see cref="SwitchTableAsync"/> does): rows just written to the old table belong on the
    /// new one. Null when the dataset is still on that table, or was registered again or deleted.
    /// </summary>
    public async Task<Dataset?> SwitchedAwayAsync(Dataset written, CancellationToken ct) =>
        await GetAsync(written.Tenant, written.Name, ct) is { } now && now.TableName != written.TableName
            && now.Document.GetRawText() == written.Document.GetRawText() ? now : null;

    /// <summary>
    /// Makes <paramref name="table"/> the dataset's table if the dataset is still registered as <paramref name="current"/>
    /// (same document, same table): the step that makes a replace visible to every reader at once. False when the
    /// dataset changed meanwhile (registered again, replaced, deleted).
    /// </summary>
    public async Task<bool> SwitchTableAsync(Dataset current, string table, CancellationToken ct)
    {
        var switched = await _table.UpdateIfAsync([current.Tenant, current.Name], new() { ["table_name"] = table, ["updated_at"] = clock.GetUtcNow() },
            new() { ["table_name"] = current.TableName, ["document"] = current.Document.GetRawText() }, ct);
        if (switched && await GetAsync(current.Tenant, current.Name, ct) is { } dataset)
        {
            Changed?.Invoke(dataset);
        }

        return switched;
    }

    /// <summary>
    /// Pauses the dataset (<paramref name="pause"/> set) or resumes it (null); the dataset as it is now, or null when
    /// there is no such dataset. Only the pause changes: a registration or replace racing with it is kept.
    /// </summary>
    public async Task<Dataset?> SetPauseAsync(string tenant, string name, DatasetPause? pause, CancellationToken ct)
    {
        while (await GetAsync(tenant, name, ct) is { } current)
        {
            if (current.Pause is null == pause is null)
            {
                return current;
            }

            if (await _table.UpdateIfAsync([tenant, name], new() { ["paused_at"] = pause?.At, ["pause_reason"] = pause?.Reason },
                    new() { ["table_name"] = current.TableName, ["document"] = current.Document.GetRawText() }, ct)
                && await GetAsync(tenant, name, ct) is { } changed)
            {
                Changed?.Invoke(changed);
                return changed;
            }
        }

        return null;
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
        await _versions.DeleteAsync([tenant], ct);
        foreach (var dataset in all)
        {
            _parsed.TryRemove((tenant, dataset.Name), out _);
        }
    }

    /// <summary>The dataset's schema versions, oldest first (empty for a dataset registered before versions were kept, until it changes).</summary>
    public async Task<IReadOnlyList<SchemaVersion>> VersionsAsync(string tenant, string name, CancellationToken ct) =>
        (await _versions.ListAsync([tenant], ct)).Where(v => v.Dataset == name).OrderBy(v => v.Version)
            .Select(v => new SchemaVersion(v.Version, v.Fingerprint, (RecordSchema)Schema.Parse(v.Schema, DataConfigurationValidator.SchemaOptions), v.RegisteredAt))
            .ToList();

    public async Task<Dataset?> GetAsync(string tenant, string name, CancellationToken ct) =>
        await _table.GetAsync([tenant, name], ct) is { } stored ? Parsed(stored) : null;

    public async Task<IReadOnlyList<Dataset>> ListAsync(string tenant, CancellationToken ct) => (await _table.ListAsync([tenant], ct)).Select(Parsed).ToList();

    private Dataset Parsed(Stored stored)
    {
        var key = (stored.Tenant, stored.Name);
        if (_parsed.TryGetValue(key, out var cached) && Same(cached, stored))
        {
            return cached.Dataset;
        }

        using var json = JsonDocument.Parse(stored.Document);
        var parsed = (stored.Document, Dataset.From(stored.Tenant, stored.Name, json.RootElement, stored.TableName, stored.Pause));
        return _parsed.AddOrUpdate(key, parsed, (_, racing) => Same(racing, stored) ? racing : parsed).Dataset;

        static bool Same((string Document, Dataset Dataset) cached, Stored stored) =>
            cached.Document == stored.Document && cached.Dataset.TableName == stored.TableName && cached.Dataset.Pause == stored.Pause;
    }

    public void Dispose() => _registration.Dispose();
}
