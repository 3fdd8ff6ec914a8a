using Ingestion.Claims;
using Ingestion.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Ingestion;

public static class IngestionServiceCollectionExtensions
{
    /// <summary>Registers the pipeline and the staged-file lifecycle (safe to call from several services).</summary>
    public static IServiceCollection AddIngestion(this IServiceCollection services)
    {
        services.TryAddSingleton<WorkerIdentity>();
        services.TryAddSingleton<FileIngestion>();
        services.TryAddSingleton<StagedFileIngestor>();
        return services;
    }
}
