using Catalog.Agreements;

namespace StreamIngestManager.Tenants;

/// <summary>
/// Everything that streams for one tenant, each in its own loop until disposed: the <see cref="StreamConsumer"/>
/// (transport to coredms), the <see cref="FileStreamer"/> (staging folders to the transport) and the
/// <see cref="StreamAppSupervisor"/> (the tenant's stream app, when its agreement names one).
/// </summary>
internal sealed class TenantStream : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly FileStreamer _files;
    private readonly StreamAppSupervisor _app;
    private readonly Task[] _loops;

    private TenantStream(string tenant, IServiceProvider services)
    {
        Tenant = tenant;
        _files = ActivatorUtilities.CreateInstance<FileStreamer>(services, tenant);
        _app = ActivatorUtilities.CreateInstance<StreamAppSupervisor>(services, tenant);
        var consumer = ActivatorUtilities.CreateInstance<StreamConsumer>(services, tenant);
        var ct = _stop.Token;
        _loops =
        [
            Task.Run(() => consumer.RunAsync(ct), CancellationToken.None),
            Task.Run(() => _files.RunAsync(ct), CancellationToken.None),
            Task.Run(() => _app.RunAsync(ct), CancellationToken.None),
        ];
    }

    public string Tenant { get; }

    /// <summary>Starts streaming for <paramref name="tenant"/>, with the parts made from <paramref name="services"/>.</summary>
    public static TenantStream Start(string tenant, IServiceProvider services) => new(tenant, services);

    /// <summary>Follows the tenant's agreement (its stream app).</summary>
    public void Follow(ServiceAgreement? agreement) => _app.Follow(agreement);

    /// <summary>Has the file streamer look at the staging folders now.</summary>
    public void ScanFilesNow() => _files.ScanNow();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        _stop.Dispose();
        _files.Dispose();
        _app.Dispose();
    }
}
