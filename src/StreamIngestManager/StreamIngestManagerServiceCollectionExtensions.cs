using Catalog;
using Ingestion;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StreamIngestManager.Consuming;
using StreamIngestManager.Events;
using StreamIngestManager.Tenants;
using StreamIngestManager.Transport;
using StreamIngestManager.Transport.Kafka;

namespace StreamIngestManager;

public static class StreamIngestManagerServiceCollectionExtensions
{
    /// <summary>
    /// Registers the stream transport chosen by <c>Transport:Engine</c> and what publishes to it (the events
    /// endpoint's ingestion); the API needs these in both modes.
    /// </summary>
    public static IServiceCollection AddStreamTransport(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(IStreamTransport)))
        {
            // Already registered (the API host and the embedded stream manager both ask for it).
            return services;
        }

        var cluster = configuration.GetSection(PlatformOptions.Section).Get<PlatformOptions>() is { IsEmbedded: false };
        services.AddOptions<TransportOptions>()
            .Bind(configuration.GetSection(TransportOptions.Section))
            .Validate(o => o.Engine is "embedded" or "kafka", "Transport:Engine must be 'embedded' or 'kafka'")
            .Validate(o => !cluster || o.Engine == "kafka",
                "Platform:Mode is 'cluster', where the API and the stream manager are separate processes: Transport:Engine must be 'kafka'")
            .Validate(o => o.Engine != "kafka" || o.Kafka.BootstrapServers.Length > 0 || o.Kafka.MockBrokers > 0,
                "Transport:Engine 'kafka' needs Transport:Kafka:BootstrapServers (or MYSIMBDP_KAFKA), or Transport:Kafka:MockBrokers for librdkafka's mock cluster")
            .Validate(o => o.MicroBatchRecords >= 1 && o.MicroBatchMilliseconds >= 1, "Transport:MicroBatchRecords and MicroBatchMilliseconds must be at least 1")
            .Validate(o => o.Kafka.Partitions >= 1 && o.Kafka.ReplicationFactor >= 1, "Transport:Kafka:Partitions and ReplicationFactor must be at least 1")
            .ValidateOnStart();
        services.AddOptions<StreamOptions>()
            .Bind(configuration.GetSection(StreamOptions.Section))
            .Validate(o => o.RescanSeconds > 0, "Stream:RescanSeconds must be above 0")
            .Validate(o => o.FilesInParallel >= 1, "Stream:FilesInParallel must be at least 1")
            .Validate(o => o.MaxEventsRequestMb is >= 1 and <= 1024, "Stream:MaxEventsRequestMb must be between 1 and 1024")
            .Validate(o => o.EventsInFlightMb is >= 1 and <= 1024 && o.EventsQueueMb is >= 0 and <= 65536 && o.EventsQueueSeconds >= 0,
                "Stream:EventsInFlightMb must be between 1 and 1024, EventsQueueMb between 0 and 65536, EventsQueueSeconds at least 0")
            .ValidateOnStart();
        services.AddIngestion(configuration);
        services.AddLakePublisher();
        services.TryAddSingleton<IStreamTransport>(sp => sp.GetRequiredService<IOptions<TransportOptions>>().Value.Engine == "kafka"
            ? ActivatorUtilities.CreateInstance<KafkaTransport>(sp)
            : ActivatorUtilities.CreateInstance<EmbeddedTransport>(sp));
        services.TryAddSingleton<Publishing.StreamPublisher>();
        services.TryAddSingleton<EventIngestion>();
        services.TryAddSingleton<Cdc.SourceChecks>();
        services.AddSingleton<Catalog.Tenants.ITenantData, Cdc.CdcTenantData>();
        return services;
    }

    /// <summary>Registers the stream ingest manager (watchers, consumers, stream apps); the host it joins runs it.</summary>
    public static IServiceCollection AddStreamIngestManager(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddStreamTransport(configuration);
        services.TryAddSingleton<DeliveryWriter>();
        services.TryAddSingleton<StreamTenants>();
        services.TryAddSingleton<Tenants.FileSlots>();
        services.TryAddSingleton(_ => new Ingestion.Pipeline.BulkLane(Environment.ProcessorCount));
        services.AddHostedService(sp => sp.GetRequiredService<StreamTenants>());
        services.AddHostedService<Cdc.CdcSources>();
        return services;
    }
}
