using IngestionLog;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Catalog;

/// <summary>How a manager process starts when it runs alone (cluster mode): settings from the environment, the platform's logging, the catalog.</summary>
public static class ManagerHost
{
    public static HostApplicationBuilder Create(string[] args, string service)
    {
        var builder = Host.CreateApplicationBuilder(args);
        builder.Configuration.AddPlatformEnvironment();
        // Running alone is the cluster mode: the API and the other manager are other processes.
        builder.Configuration["Platform:Mode"] ??= "cluster";
        builder.Logging.AddPlatformLogging(builder.Configuration, service);
        builder.Services.AddCatalog(builder.Configuration);
        return builder;
    }
}
