using System.Globalization;
using Catalog.Files;
using Catalog.Logs;
using Catalog.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Api.Auth;
using Platform.Api.Docs;
using Platform.Api.Problems;

namespace Platform.Api.Logs;

public sealed record LogEventView(string EventId, DateTimeOffset Timestamp, string? Tenant, string Level, string? Action, string? Dataset,
    string? FileId, string? RunId, string Message, System.Text.Json.JsonElement Document)
{
    public static LogEventView From(LogEntry e) => new(e.EventId, e.At, e.Tenant == LogCatalog.NoTenant ? null : e.Tenant, e.Level, Empty(e.Action),
        Empty(e.Dataset), Empty(e.FileId), Empty(e.RunId), e.Message, e.Document);

    private static string? Empty(string value) => value.Length == 0 ? null : value;
}

public sealed record LogEventList(IReadOnlyList<LogEventView> Events, string? Next);

public sealed record FileSummary(string FileId, string Dataset, string Name, string Status, long RowsLoaded, long RowsQuarantined, DateTimeOffset ReceivedAt,
    DateTimeOffset? FinishedAt, string? Error);

public sealed record TenantOverview(string Id, IReadOnlyDictionary<string, int> Files, long RowsLoaded, long RowsQuarantined, IReadOnlyList<FileSummary> LastFailures,
    IReadOnlyList<string> PausedDatasets);

public sealed record TenantOverviewList(IReadOnlyList<TenantOverview> Tenants);

/// <summary>The ingestion log: all tenants' for admins (<c>/admin/logs</c>), a tenant's own for it (<c>/tenants/{t}/logs</c>).</summary>
public static class LogEndpoints
{
    private static readonly (string, string)[] Filters =
    [
        ("dataset", "Only this dataset's events."),
        ("level", "This level and above: trace, debug, info, warn, error, fatal."),
        ("action", "Only this event.action, e.g. file.failed."),
        ("since", "Events at or after this ISO 8601 time."),
        ("until", "Events before this ISO 8601 time."),
        ("q", "Events whose message contains this text (any case)."),
        ("before", "The 'next' value of the previous page."),
        ("limit", $"Events per page, 1 to {LogCatalog.MaxLimit} (100 by default)."),
    ];

    public static void MapLogs(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin").RequireAuthorization(AuthServiceCollectionExtensions.AdminPolicy).WithTags("Admin");
        admin.MapGet("/logs", AdminLogs)
            .WithSummary("Ingestion log events, newest first (?tenant=&dataset=&level=&action=&since=&until=&q=&before=&limit=; 'next' continues).")
            .Query([("tenant", "Only this tenant's events."), .. Filters]);
        admin.MapGet("/tenants", Overview).WithSummary("Every tenant with its files by status, rows loaded and quarantined, and its last failed files.");
        app.MapGroup("/tenants/{tenant}").ForTenant().WithTags("Logs").MapGet("/logs", TenantLogs)
            .WithSummary("The tenant's own ingestion log events, newest first (?dataset=&level=&action=&since=&until=&q=&before=&limit=).")
            .Query(Filters);
    }

    public static Task<Results<Ok<LogEventList>, ProblemHttpResult>> AdminLogs(HttpRequest request, LogCatalog logs, CancellationToken ct) =>
        QueryAsync(request, request.Query["tenant"].FirstOrDefault() is { Length: > 0 } t ? t : null, logs, ct);

    public static Task<Results<Ok<LogEventList>, ProblemHttpResult>> TenantLogs(HttpRequest request, TenantContext tenant, LogCatalog logs, CancellationToken ct) =>
        QueryAsync(request, tenant.Id, logs, ct);

    private static async Task<Results<Ok<LogEventList>, ProblemHttpResult>> QueryAsync(HttpRequest request, string? tenant, LogCatalog logs, CancellationToken ct)
    {
        var q = request.Query;
        var errors = new List<FieldError>();
        var (limit, limitError) = QueryLimit.Parse(q, 100, LogCatalog.MaxLimit);
        if (limitError is not null)
        {
            errors.Add(limitError);
        }

        DateTimeOffset? Time(string name)
        {
            if (q[name].FirstOrDefault() is not { } text)
            {
                return null;
            }

            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return parsed;
            }

            errors.Add(new FieldError(name, "format", "must be an ISO 8601 time such as 2026-03-01T08:00:00Z"));
            return null;
        }

        var since = Time("since");
        var until = Time("until");

        var level = q["level"].FirstOrDefault();
        if (level is not null && !LogCatalog.IsLevel(level))
        {
            errors.Add(new FieldError("level", "one_of", "must be one of trace, debug, info, warn, error, fatal (that level and above)"));
        }

        var before = q["before"].FirstOrDefault();
        if (before is not null && (before.Length != 32 || !before.All(char.IsAsciiHexDigitLower)))
        {
            errors.Add(new FieldError("before", "format", "must be the 'next' value of a previous page"));
        }

        if (errors.Count > 0)
        {
            return Problem.Validation("query", errors);
        }

        var page = await logs.QueryAsync(new LogQuery(tenant, Text(q["dataset"]), level, Text(q["action"]), since, before, limit) { Until = until, Text = Text(q["q"]) }, ct);
        return TypedResults.Ok(new LogEventList(page.Events.Select(LogEventView.From).ToList(), page.Next));
    }

    private static string? Text(Microsoft.Extensions.Primitives.StringValues value) => value.FirstOrDefault() is { Length: > 0 } text ? text : null;

    public static async Task<Ok<TenantOverviewList>> Overview(TenantCatalog tenants, FileCatalog files, Catalog.Datasets.DatasetCatalog datasets, CancellationToken ct)
    {
        var result = new List<TenantOverview>();
        foreach (var tenant in await tenants.ListAsync(ct))
        {
            var all = await files.ListAsync(tenant.Id, ct);
            result.Add(new TenantOverview(tenant.Id,
                all.GroupBy(f => f.Status).ToDictionary(g => g.Key, g => g.Count()),
                all.Sum(f => f.RowsLoaded ?? 0), all.Sum(f => f.RowsQuarantined ?? 0),
                all.Where(f => f.Status == FileStatus.Failed).OrderByDescending(f => f.ReceivedAt).Take(5)
                    .Select(f => new FileSummary(f.FileId, f.Dataset, f.Name, f.Status, f.RowsLoaded ?? 0, f.RowsQuarantined ?? 0, f.ReceivedAt, f.FinishedAt, f.Error))
                    .ToList(),
                (await datasets.ListAsync(tenant.Id, ct)).Where(d => d.Pause is not null).Select(d => d.Name).ToList()));
        }

        return TypedResults.Ok(new TenantOverviewList(result));
    }
}
