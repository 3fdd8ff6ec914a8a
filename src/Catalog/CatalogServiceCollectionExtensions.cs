using Catalog.Agreements;
using Catalog.Datasets;
using Catalog.Files;
using Catalog.Tenants;
using Coredms;
using IngestionLog;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Catalog;

public static class CatalogServiceCollectionExtensions
{
    /// <summary>
    /// Registers the platform options, coredms, and the catalog on top of it; the catalog's tables are
    /// created when the host starts, before anything is served.
    /// </summary>
    public static IServiceCollection AddCatalog(this IServiceCollection services, IConfiguration configuration)
    {
        var platform = configuration.GetSection(PlatformOptions.Section).Get<PlatformOptions>() ?? new PlatformOptions();
        services.AddOptions<PlatformOptions>()
            .Bind(configuration.GetSection(PlatformOptions.Section))
            .Validate(o => !string.IsNullOrWhiteSpace(o.Home), "Platform:Home (MYSIMBDP_HOME) must be set")
            .Validate(o => o.Mode is "embedded" or "cluster", "Platform:Mode must be 'embedded' or 'cluster'")
            .Validate(o => o.MaxFileSizeMb >= 1, "Platform:MaxFileSizeMb must be at least 1")
            .ValidateOnStart();
        services.AddCoredms(configuration, platform.CoredmsDirectory);
        services.AddSingleton<TenantCatalog>();
        services.AddSingleton<TenantDeletion>();
        services.AddSingleton<DatasetCatalog>();
        services.AddSingleton<Requests.IdempotencyKeys>();
        services.AddSingleton<AgreementCatalog>();
        services.AddSingleton<FileCatalog>();
        services.AddSingleton<FileSinks>();
        services.AddSingleton<StagingArea>();
        services.AddSingleton<Runs.RunCatalog>();
        services.AddSingleton<Usage.UsageMeter>();
        services.AddSingleton<Usage.UsageLedger>();
        services.AddSingleton<Usage.QuotaPolicy>();
        services.TryAddSingleton(sp => new Usage.EventRateLimiter(TimeProvider.System));
        services.AddSingleton<SchemaCatalog>();
        services.AddSingleton<Logs.LogCatalog>();
        services.AddSingleton<Connections.SecretBox>();
        services.AddSingleton<Connections.ConnectionCatalog>();
        services.AddSingleton<Connections.CdcSourceCatalog>();
        services.TryAddSingleton(TimeProvider.System);
        foreach (var part in new[] { typeof(AgreementCatalog), typeof(DatasetCatalog), typeof(FileCatalog), typeof(FileSinks), typeof(Runs.RunCatalog), typeof(Usage.UsageLedger), typeof(Logs.LogCatalog) })
        {
            services.AddSingleton(sp => (Tenants.ITenantData)sp.GetRequiredService(part));
        }

        services.AddHostedService<CatalogInitializer>();
        services.AddLogSink<Logs.CatalogLogSink>();
        return services;
    }

    private sealed class CatalogInitializer(ICoredms coredms) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => PlatformTables.EnsureAsync(coredms, cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
