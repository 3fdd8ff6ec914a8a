using Platform.Api.Auth;
using Serilog;

namespace Platform.Api.Logs;

/// <summary>One log line per request (Serilog.AspNetCore): method, path, status, time, and the tenant it acted for.</summary>
public static class RequestLog
{
    public static IApplicationBuilder UseRequestLog(this WebApplication app) =>
        app.UseSerilogRequestLogging(o =>
        {
            o.Logger = app.Services.GetRequiredService<Serilog.ILogger>();
            o.MessageTemplate = "{RequestMethod} {RequestPath} answered {StatusCode} in {Elapsed:0.0} ms";
            o.EnrichDiagnosticContext = (diagnostics, http) =>
            {
                if (http.RequestServices.GetService<TenantContext>()?.IdOrNull is { } tenant)
                {
                    diagnostics.Set("TenantId", tenant);
                }
            };
        });
}
