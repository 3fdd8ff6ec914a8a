using Catalog.Connections;
using Catalog.Datasets;
using Catalog.Tenants;
using Coredms;
using Microsoft.Extensions.Options;

namespace StreamIngestManager.Cdc;

/// <summary>
/// Keeps a <see cref="CdcStream"/> running for every active dataset with a <c>postgres_cdc</c> source, restarted when
/// the dataset is registered again and stopped while it is paused (its slot keeps its position). What the platform made
/// in a tenant's database for a dataset that no longer captures from it (the dataset or its source is gone) is dropped,
/// so that no slot is left holding WAL. A dataset paused longer than <see cref="StreamOptions.CdcPausedWarnHours"/> is
/// reported: its slot keeps WAL on the tenant's server all that time. Looks again on every dataset change in this
/// process, and every <see cref="StreamOptions.RescanSeconds"/>.
/// </summary>
internal sealed class CdcSources(TenantCatalog tenants, DatasetCatalog datasets, CdcSourceCatalog sources, ConnectionCatalog connections,
    IServiceProvider services, DataClock clock, IOptions<StreamOptions> options, ILogger<CdcSources> logger)
    : Tenants.CatalogReconciler(options, logger, "change data capture")
{
    private readonly Dictionary<(string Tenant, string Dataset), (string Document, CancellationTokenSource Stop, Task Loop)> _running = [];
    private readonly HashSet<(string, string)> _reportedPaused = [];

    protected override void Subscribe() => datasets.Changed += OnChanged;

    protected override void Unsubscribe() => datasets.Changed -= OnChanged;

    protected override async Task StopAllAsync()
    {
        foreach (var key in _running.Keys.ToList())
        {
            await StopAsync(key);
        }
    }

    private void OnChanged(Dataset dataset) => Wake();

    protected override async Task ReconcileAsync(CancellationToken ct)
    {
        var wanted = new Dictionary<(string, string), Dataset>();
        foreach (var tenant in await tenants.ListAsync(ct))
        {
            var all = await datasets.ListAsync(tenant.Id, ct);
            foreach (var dataset in all.Where(d => d.Source is not null))
            {
                if (dataset.Pause is null)
                {
                    wanted[(tenant.Id, dataset.Name)] = dataset;
                    _reportedPaused.Remove((tenant.Id, dataset.Name));
                }
                else if (clock.GetUtcNow() - dataset.Pause.At > TimeSpan.FromHours(Options.CdcPausedWarnHours) && _reportedPaused.Add((tenant.Id, dataset.Name)))
                {
                    Logger.LogWarning("{TenantId}/{Dataset} has been paused since {PausedAt:u} ({Reason}); its replication slot keeps WAL on the tenant's PostgreSQL until it is resumed or its source removed",
                        tenant.Id, dataset.Name, dataset.Pause.At, dataset.Pause.Reason);
                }
            }

            foreach (var state in await sources.ListAsync(tenant.Id, ct))
            {
                var dataset = all.FirstOrDefault(d => d.Name == state.Dataset);
                if (dataset?.Source is not { } source || source.Connection != state.Connection || source.Table != state.SourceTable)
                {
                    await StopAsync((tenant.Id, state.Dataset));
                    await DropAsync(state, ct);
                }
            }
        }

        foreach (var (key, running) in _running.ToList())
        {
            // A capture that ended by itself (it paused its dataset, or the pause did not take) is started again if still wanted.
            if (!wanted.TryGetValue(key, out var dataset) || dataset.Document.GetRawText() != running.Document || running.Loop.IsCompleted)
            {
                await StopAsync(key);
            }
        }

        foreach (var (key, dataset) in wanted.Where(w => !_running.ContainsKey(w.Key)))
        {
            var stream = ActivatorUtilities.CreateInstance<CdcStream>(services, dataset);
            var stop = new CancellationTokenSource();
            _running[key] = (dataset.Document.GetRawText(), stop, Task.Run(() => stream.RunAsync(stop.Token), CancellationToken.None));
        }
    }

    private async Task StopAsync((string Tenant, string Dataset) key)
    {
        if (_running.Remove(key, out var running))
        {
            await running.Stop.CancelAsync();
            await running.Loop;
            running.Stop.Dispose();
        }
    }

    /// <summary>Drops what a capture made in its tenant's database, then forgets it; tried again at the next look when the database cannot be reached.</summary>
    private async Task DropAsync(CdcSourceState state, CancellationToken ct)
    {
        if (await connections.GetAsync(state.Tenant, state.Connection, ct) is not { } connection
            || await CdcTenantData.DropAsync(connections, connection, state, logger, ct))
        {
            await sources.DeleteAsync(state.Tenant, state.Dataset, ct);
        }
    }
}
