using Platform.Api.Auth;
using Serilog;

namespace Platform.Api.Logs;

/// <summary>One log line per request (Serilog.AspNetCore): method, path, status, time, and the tenant it acted for; errors for 5xx but 503.</summary>
public static class RequestLog
{
    public static IApplicationBuilder UseRequestLog(this WebApplication app) =>
        app.UseSerilogRequestLogging(o =>
        {
            o.Logger = app.Services.GetRequiredService<Serilog.ILogger>();
            o.MessageTemplate = "{RequestMethod} {RequestPath} answered {StatusCode} in {Elapsed:0.0} ms";

            // A 503 is the platform holding a client back on purpose (with Retry-After): a warning, not an error.
            o.GetLevel = (http, _, error) => error is not null || (http.Response.StatusCode >= 500 && http.Response.StatusCode != 503)
                ? Serilog.Events.LogEventLevel.Error
                : http.Response.StatusCode == 503 ? Serilog.Events.LogEventLevel.Warning : Serilog.Events.LogEventLevel.Information;
            o.EnrichDiagnosticContext = (diagnostics, http) =>
            {
                if (http.RequestServices.GetService<TenantContext>()?.IdOrNull is { } tenant)
                {
                    diagnostics.Set("TenantId", tenant);
                }
            };
        });
}
