using Catalog.Agreements;
using Catalog.Datasets;
using Catalog.Tenants;
using Microsoft.Extensions.Options;
using StreamIngestManager.Transport;

namespace StreamIngestManager.Tenants;

/// <summary>
/// Keeps a <see cref="TenantStream"/> running for every tenant with a streaming dataset (<c>ingestion_mode</c>
/// <c>stream</c> or <c>both</c>) and in line with its agreement. It looks again whenever a dataset or agreement
/// changes in this process, and every <see cref="StreamOptions.RescanSeconds"/> for changes made elsewhere.
/// </summary>
internal sealed class StreamTenants(TenantCatalog tenants, DatasetCatalog datasets, AgreementCatalog agreements, IStreamTransport transport,
    IServiceProvider services, IOptions<StreamOptions> options, ILogger<StreamTenants> logger) : CatalogReconciler(options, logger, "the tenants' streams")
{
    private readonly Dictionary<string, TenantStream> _running = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _datasetsChanged = new(StringComparer.Ordinal);

    /// <summary>The tenants streaming now (for tests and health).</summary>
    public IReadOnlyCollection<string> Running
    {
        get
        {
            lock (_running)
            {
                return _running.Keys.ToList();
            }
        }
    }

    protected override void Subscribe()
    {
        datasets.Changed += OnChanged;
        agreements.Changed += OnChanged;
    }

    protected override void Unsubscribe()
    {
        datasets.Changed -= OnChanged;
        agreements.Changed -= OnChanged;
    }

    protected override async Task StopAllAsync()
    {
        List<TenantStream> stopping;
        lock (_running)
        {
            stopping = [.. _running.Values];
            _running.Clear();
        }

        await Task.WhenAll(stopping.Select(s => s.DisposeAsync().AsTask()));
    }

    private void OnChanged<T>(T changed)
    {
        if (changed is Dataset dataset)
        {
            _datasetsChanged[dataset.Tenant] = true;
        }

        Wake();
    }

    /// <summary>Readies a dataset's stream before the tenant's consumer starts or sees it; a failure is logged and tried again at the next look.</summary>
    private async Task PrepareAsync(string tenant, string dataset, CancellationToken ct)
    {
        try
        {
            await transport.PrepareAsync(tenant, dataset, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Logger.LogWarning(e, "Could not ready the stream of {TenantId}/{DatasetName}; the consumer may join after its first records", tenant, dataset);
        }
    }

    protected override async Task ReconcileAsync(CancellationToken ct)
    {
        foreach (var tenant in await tenants.ListAsync(ct))
        {
            var streaming = (await datasets.ListAsync(tenant.Id, ct)).Where(d => d.Mode.HasFlag(IngestionMode.Stream)).ToList();
            var streams = streaming.Count > 0;
            foreach (var dataset in streaming)
            {
                await PrepareAsync(tenant.Id, dataset.Name, ct);
            }

            TenantStream? stream;
            lock (_running)
            {
                _running.TryGetValue(tenant.Id, out stream);
            }

            if (streams && stream is null)
            {
                stream = TenantStream.Start(tenant.Id, services);
                lock (_running)
                {
                    _running[tenant.Id] = stream;
                }

                Logger.LogInformation("Streaming for {TenantId}", tenant.Id);
            }
            else if (!streams && stream is not null)
            {
                lock (_running)
                {
                    _running.Remove(tenant.Id);
                }

                await stream.DisposeAsync();
                Logger.LogInformation("No more streaming for {TenantId}", tenant.Id);
                continue;
            }

            stream?.Follow(await agreements.GetAsync(tenant.Id, ct));
            if (_datasetsChanged.TryRemove(tenant.Id, out _))
            {
                // A resumed dataset's staged files are taken now rather than at the next rescan.
                stream?.ScanFilesNow();
            }
        }
    }
}
