using IngestionLog;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;

namespace Catalog;

/// <summary>How a manager process starts when it runs alone (cluster mode): settings from the environment, the platform's logging, the catalog.</summary>
public static class ManagerHost
{
    public static HostApplicationBuilder Create(string[] args, string service)
    {
        ThreadPoolFloor.Raise();
        var builder = Host.CreateApplicationBuilder(args);
        builder.Configuration.AddPlatformEnvironment();
        // Running alone is the cluster mode: the API and the other manager are other processes.
        builder.Configuration["Platform:Mode"] ??= "cluster";
        builder.Logging.AddPlatformLogging(builder.Configuration, service);
        builder.Services.AddCatalog(builder.Configuration);

        // The ingestion metrics of this process (a run's rows are counted where the run happens), for Prometheus at
        // http://{Metrics:Host}:{Metrics:Port}/metrics, unauthenticated: bind it to the cluster's own network only.
        if (builder.Configuration.GetValue<int?>("Metrics:Port") is > 0 and var port)
        {
            var host = builder.Configuration["Metrics:Host"] ?? "localhost";
            builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
                .AddMeter(IngestionMetrics.MeterName, "System.Runtime")
                .AddPrometheusHttpListener(o => (o.Host, o.Port) = (host, port)));
        }

        return builder;
    }
}
