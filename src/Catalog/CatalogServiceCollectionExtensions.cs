using Catalog.Agreements;
using Catalog.Datasets;
using Catalog.Files;
using Catalog.Tenants;
using Coredms;
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
        services.AddSingleton<AgreementCatalog>();
        services.AddSingleton<FileCatalog>();
        services.AddSingleton<StagingArea>();
        services.AddSingleton<Runs.RunCatalog>();
        services.AddSingleton<Usage.UsageMeter>();
        services.AddSingleton<Usage.UsageLedger>();
        services.AddSingleton<Usage.QuotaPolicy>();
        services.AddSingleton<SchemaCatalog>();
        services.AddSingleton<Logs.LogCatalog>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHostedService<CatalogInitializer>();
        services.AddHostedService<Logs.CatalogLogWriter>();
        return services;
    }

    private sealed class CatalogInitializer(ICoredms coredms) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => PlatformTables.EnsureAsync(coredms, cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
