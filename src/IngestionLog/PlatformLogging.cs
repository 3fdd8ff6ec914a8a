using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace IngestionLog;

public static class PlatformLogging
{
    /// <summary>
    /// Routes Microsoft.Extensions.Logging through one Serilog logger: the console (its level from
    /// <c>Serilog:MinimumLevel:Default</c>), rolling ECS JSON files, and the <see cref="ILogSink"/>s registered
    /// with <see cref="LogSinkRegistration.AddLogSink{TSink}"/> (Elasticsearch here when configured; the catalog adds its own).
    /// The logger belongs to the host (disposed with it), so that several hosts can live in one process.
    /// </summary>
    public static ILoggingBuilder AddPlatformLogging(this ILoggingBuilder logging, IConfiguration configuration, string service = "platform-api")
    {
        var options = configuration.GetSection(LogsOptions.Section).Get<LogsOptions>() ?? new LogsOptions();

        var router = new LogRouter(options.QueueCapacity);
        logging.Services.AddSingleton(router);
        if (options.Elasticsearch.Url.Length > 0)
        {
            logging.Services.AddLogSink<ElasticsearchSink>();
        }

        logging.Services.AddSingleton(Microsoft.Extensions.Options.Options.Create(options));

        // One Serilog logger: the console shows from Serilog:MinimumLevel:Default up (tests and operators turn it
        // down), and always the host's start and stop lines; the structured log (JSON files and the buffers) has
        // every event from Information up.
        var consoleLevel = ConsoleLevel(configuration);
        var root = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting", LogEventLevel.Information)
            .MinimumLevel.Override("Quartz", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.AspNetCore.DataProtection", LogEventLevel.Error)
            .Enrich.FromLogContext()
            .WriteTo.Sink(new RouterSink(service, router))
            .WriteTo.Sink(new IngestionMetrics());
        if (options.Console)
        {
            root.WriteTo.Logger(console => console
                .Filter.ByIncludingOnly(e => e.Level >= consoleLevel || IsFrom(e, "Microsoft.Hosting"))
                .WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}",
                    standardErrorFromLevel: LogEventLevel.Warning));
        }

        if (options.Files)
        {
            var home = configuration["Platform:Home"] ?? ".mysimbdp";
            root.WriteTo.File(new EcsFormatter(service), Path.Combine(home, "logs", service + "-.json"), rollingInterval: RollingInterval.Day,
                retainedFileCountLimit: options.RetentionDays, buffered: true, flushToDiskInterval: TimeSpan.FromSeconds(1));
        }

        var logger = root.CreateLogger();
        logging.Services.AddSingleton<Serilog.ILogger>(logger);
        logging.Services.AddHostedService(_ => new LoggerLifetime(logger));
        logging.ClearProviders();
        logging.AddSerilog(logger, dispose: false);
        return logging;
    }

    /// <summary>
    /// Disposes the logger with the host, flushing its files; a flush the disk has no room for is given up rather than
    /// fail the host's shutdown (the events were in the other sinks too).
    /// </summary>
    private sealed class LoggerLifetime(Serilog.Core.Logger logger) : Microsoft.Extensions.Hosting.IHostedService, IDisposable
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose()
        {
            try
            {
                logger.Dispose();
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>The console's level: <c>Serilog:MinimumLevel:Default</c> (or <c>Serilog:MinimumLevel</c>), Information when unset.</summary>
    private static LogEventLevel ConsoleLevel(IConfiguration configuration)
    {
        var text = configuration["Serilog:MinimumLevel:Default"] ?? configuration["Serilog:MinimumLevel"];
        return text is null ? LogEventLevel.Information
            : Enum.TryParse<LogEventLevel>(text, ignoreCase: true, out var level) ? level
            : throw new InvalidOperationException($"Serilog:MinimumLevel '{text}' is not a level (Verbose, Debug, Information, Warning, Error, Fatal).");
    }

    private static bool IsFrom(LogEvent e, string prefix) =>
        e.Properties.TryGetValue("SourceContext", out var source) && source is ScalarValue { Value: string name } && name.StartsWith(prefix, StringComparison.Ordinal);

    /// <summary>Each event's ECS document, made once for both the buffers and the JSON file (the two sinks see the same event).</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<LogEvent, EcsDocument> Documents = new();

    private static EcsDocument DocumentOf(LogEvent logEvent, string service) => Documents.GetValue(logEvent, e => EcsDocument.From(e, service));

    /// <summary>Every event, as an ECS document, offered to each sink's buffer (which keeps what its sink accepts).</summary>
    private sealed class RouterSink(string service, LogRouter router) : ILogEventSink
    {
        public void Emit(LogEvent logEvent) => router.Offer(DocumentOf(logEvent, service));
    }

    /// <summary>One ECS JSON document per line.</summary>
    private sealed class EcsFormatter(string service) : ITextFormatter
    {
        public void Format(LogEvent logEvent, TextWriter output)
        {
            output.Write(System.Text.Encoding.UTF8.GetString(DocumentOf(logEvent, service).Json));
            output.Write('\n');
        }
    }
}
