using Coredms.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Coredms;

public static class CoredmsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the configured coredms engine as the <see cref="ICoredms"/> singleton. The one place the
    /// engine is chosen: <c>Coredms:Engine</c>.
    /// </summary>
    public static IServiceCollection AddCoredms(this IServiceCollection services, IConfiguration configuration, string defaultDataDirectory)
    {
        services.TryAddSingleton(DataClock.Real);
        services.AddOptions<CoredmsOptions>()
            .Bind(configuration.GetSection(CoredmsOptions.Section))
            .PostConfigure(o =>
            {
                if (string.IsNullOrWhiteSpace(o.Sqlite.DataDirectory))
                {
                    o.Sqlite.DataDirectory = defaultDataDirectory;
                }
            })
            .Validate(o => o.Engine is "sqlite" or "cassandra", "Coredms:Engine must be 'sqlite' (embedded) or 'cassandra'")
            .Validate(o => o.Engine != "cassandra" || o.Cassandra.ContactPoints.Length > 0, "Coredms:Engine 'cassandra' needs Coredms:Cassandra:ContactPoints (or MYSIMBDP_CASSANDRA)")
            .Validate(o => o.Cassandra.Replication is "SimpleStrategy" or "NetworkTopologyStrategy", "Coredms:Cassandra:Replication must be SimpleStrategy or NetworkTopologyStrategy")
            .Validate(o => o.Cassandra.Replication != "NetworkTopologyStrategy" || o.Cassandra.DataCenters.Contains(':', StringComparison.Ordinal),
                "Coredms:Cassandra:DataCenters must name each data center and its replicas (dc1:3,dc2:3) for NetworkTopologyStrategy")
            .Validate(o => o.Sqlite.CacheSizeMb is >= 1 and <= 4096, "Coredms:Sqlite:CacheSizeMb must be between 1 and 4096")
            .Validate(o => o.Sqlite.PageSize is >= 512 and <= 65536 && (o.Sqlite.PageSize & (o.Sqlite.PageSize - 1)) == 0, "Coredms:Sqlite:PageSize must be a power of two from 512 to 65536")
            .ValidateOnStart();
        services.AddSingleton<ICoredms>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<CoredmsOptions>>().Value;
            return options.Engine switch
            {
                "cassandra" => new Cassandra.CassandraCoredms(Options.Create(options.Cassandra), sp.GetRequiredService<DataClock>()),
                _ => new SqliteCoredms(Options.Create(options.Sqlite), sp.GetRequiredService<DataClock>()),
            };
        });
        return services;
    }
}
