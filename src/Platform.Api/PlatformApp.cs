using System.Text.Json;
using BatchIngestManager;
using Catalog;
using Ingestion;
using IngestionLog;
using OpenTelemetry.Metrics;
using Platform.Api.Admin;
using Platform.Api.Agreements;
using Platform.Api.Auth;
using Platform.Api.Connections;
using Platform.Api.Datasets;
using Platform.Api.Deployment;
using Platform.Api.Docs;
using Platform.Api.Events;
using Platform.Api.Files;
using Platform.Api.Health;
using Platform.Api.Ingest;
using Platform.Api.Lake;
using Platform.Api.Logs;
using Platform.Api.Problems;
using Platform.Api.Rows;
using Platform.Api.Runs;
using Platform.Api.Tenants;
using StreamIngestManager;

namespace Platform.Api;

/// <summary>
/// Composes the API host. In embedded mode (the default) the same process also runs the batch and stream
/// managers; in cluster mode they run as their own processes. Tests build it with their own settings.
/// </summary>
public static class PlatformApp
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <param name="args">Command-line arguments (configuration).</param>
    /// <param name="overrides">Settings over every other source (tests).</param>
    /// <param name="services">Last changes to the services, such as a controllable clock (tests).</param>
    public static WebApplication Create(string[] args, IDictionary<string, string?>? overrides = null, Action<IServiceCollection>? services = null)
    {
        ThreadPoolFloor.Raise();
        var builder = WebApplication.CreateBuilder(args);
        builder.Configuration.AddPlatformEnvironment();
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        if (builder.Configuration["urls"] is null && builder.Configuration["ASPNETCORE_URLS"] is null && builder.Configuration["Urls"] is null)
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = null);
        builder.Logging.AddPlatformLogging(builder.Configuration);
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never;
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddApiDocs();
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(IngestionMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "System.Runtime")
            .AddPrometheusExporter());
        builder.Services.AddCatalog(builder.Configuration);
        builder.Services.AddPlatformAuth(builder.Configuration);
        builder.Services.AddSingleton<UploadReceiver>();
        builder.Services.AddSingleton<Events.EventsAdmission>();
        builder.Services.AddSingleton<LakeQuery>();
        builder.Services.AddHostedService<IncomingSweep>();
        builder.Services.AddHostedService<IdleMemoryTrim>();
        builder.Services.AddOptions<KubernetesOptions>().Bind(builder.Configuration.GetSection(KubernetesOptions.Section));
        builder.Services.AddIngestion(builder.Configuration);
        builder.Services.AddStreamTransport(builder.Configuration);

        var platform = builder.Configuration.GetSection(PlatformOptions.Section).Get<PlatformOptions>() ?? new PlatformOptions();
        if (platform.IsEmbedded)
        {
            builder.Services.AddBatchIngestManager(builder.Configuration);
            builder.Services.AddStreamIngestManager(builder.Configuration);
        }

        services?.Invoke(builder.Services);
        builder.Services.AddSingleton(sp => new Serilog.Extensions.Hosting.DiagnosticContext(sp.GetRequiredService<Serilog.ILogger>()));
        var app = builder.Build();
        app.Services.GetRequiredService<PlatformSecrets>();
        app.UseRequestLog();
        app.UseExceptionHandler(error => error.Run(async context =>
            await StorageProblems.Of(context).ExecuteAsync(context)));
        app.UseStatusCodePages(async status =>
        {
            if (!status.HttpContext.Response.HasStarted && status.HttpContext.Response.ContentLength is null)
            {
                await Problem.Of(status.HttpContext.Response.StatusCode, "http", ReasonPhrase(status.HttpContext.Response.StatusCode),
                    $"{status.HttpContext.Request.Method} {status.HttpContext.Request.Path} answered {status.HttpContext.Response.StatusCode}.").ExecuteAsync(status.HttpContext);
            }
        });
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapApiDocs();
        app.MapPrometheusScrapingEndpoint("/metrics").RequireAuthorization(AuthServiceCollectionExtensions.AdminPolicy);
        app.MapHealth();
        app.MapAuth();
        app.MapTenants();
        app.MapDatasets();
        app.MapInfer();
        app.MapDeletes();
        app.MapReplay();
        app.MapAgreements();
        app.MapConnections();
        app.MapFiles();
        app.MapLake();
        app.MapIngest();
        app.MapEvents();
        app.MapLogs();
        app.MapAdminPage();
        app.MapDeployment();
        app.MapRows();
        app.MapRuns();
        return app;
    }

    private static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
}
