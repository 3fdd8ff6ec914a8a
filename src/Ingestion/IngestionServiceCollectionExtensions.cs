using Ingestion.Apps;
using Ingestion.Claims;
using Microsoft.Extensions.Configuration;
using Ingestion.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Ingestion;

public static class IngestionServiceCollectionExtensions
{
    /// <summary>Registers the pipeline and the staged-file lifecycle (safe to call from several services).</summary>
    public static IServiceCollection AddIngestion(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(TenantAppRunner)))
        {
            // Already registered: binding the Apps section twice would append each app's arguments again.
            return services;
        }

        services.AddOptions<AppsOptions>()
            .Configure(o => configuration.GetSection(AppsOptions.Section).Bind(o.Apps))
            .PostConfigure(o => o.AddSamples())
            .Validate(o => o.Apps.Values.All(a => a.Command.Length > 0), "Apps entries need a Command")
            .ValidateOnStart();
        services.AddOptions<ClaimsOptions>().Bind(configuration.GetSection(ClaimsOptions.Section))
            .Validate(o => o.LeaseSeconds >= 1, "Claims:LeaseSeconds must be at least 1").ValidateOnStart();
        services.TryAddSingleton<TenantAppRunner>();
        services.TryAddSingleton<WorkerIdentity>();
        services.TryAddSingleton<FileIngestion>();
        services.TryAddSingleton<QuarantineReplay>();
        services.TryAddSingleton<FileClaims>();
        services.TryAddSingleton<StagedFileIngestor>();
        services.TryAddSingleton<DatasetReplace>();
        services.TryAddSingleton<Staging.FileStager>();
        services.TryAddSingleton<Staging.StagingScanner>();
        services.AddOptions<Lake.LakeOptions>().Bind(configuration.GetSection(Lake.LakeOptions.Section))
            .Validate(o => o.RollRows >= 1 && o.RollBytes >= 1, "Lake:RollRows and Lake:RollBytes must be at least 1").ValidateOnStart();
        services.TryAddSingleton<Lake.LakeSpool>();
        services.TryAddSingleton<Lake.LakeStreams>();
        services.TryAddSingleton<Lake.ILakeStore>(sp =>
        {
            var lake = sp.GetRequiredService<IOptions<Lake.LakeOptions>>().Value;
            return lake.S3.IsSet ? new Lake.S3LakeStore(lake.S3)
                : new Lake.LocalLakeStore(lake.Root.Length > 0 ? lake.Root : Path.Combine(sp.GetRequiredService<IOptions<Catalog.PlatformOptions>>().Value.Home, "lake"));
        });
        services.AddSingleton<Catalog.Tenants.ITenantData, Lake.LakeTenantData>();
        return services;
    }

    /// <summary>Runs the lake publisher of this worker's spool (once per process, whichever manager asks first).</summary>
    public static IServiceCollection AddLakePublisher(this IServiceCollection services)
    {
        if (!services.Any(d => d.ImplementationType == typeof(Lake.LakePublisher)))
        {
            services.AddHostedService<Lake.LakePublisher>();
            services.AddHostedService(sp => sp.GetRequiredService<Lake.LakeStreams>());
        }

        return services;
    }
}
