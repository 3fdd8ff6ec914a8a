using System.Globalization;
using System.Text;
using System.Text.Json;
using Catalog.Tenants;
using Coredms;
using IngestionLog;
using Microsoft.Extensions.Options;

namespace Catalog.Logs;

/// <summary>One ingestion log event as the admin API shows it; <see cref="Document"/> is the full ECS document.</summary>
public sealed record LogEntry(string EventId, DateTimeOffset At, string Tenant, string Level, string Action, string Dataset, string FileId,
    string RunId, string Message, JsonElement Document);

/// <summary>What to read: filters (null = any), events before <see cref="Before"/> (a paging cursor), newest first.</summary>
public sealed record LogQuery(string? Tenant, string? Dataset, string? Level, string? Action, DateTimeOffset? Since, string? Before, int Limit)
{
    /// <summary>Only events before this time.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>Only events whose message contains this text, in any case.</summary>
    public string? Text { get; init; }
}

public sealed record LogPage(IReadOnlyList<LogEntry> Events, string? Next);

/// <summary>
/// The ingestion log in the catalog (<see cref="PlatformTables.LogEvents"/>), kept <c>Logs:RetentionDays</c>.
/// Reads walk the days back from the newest, a partition per tenant and day, until the page is full.
/// </summary>
public sealed class LogCatalog(ICoredms coredms, TenantCatalog tenants, IOptions<LogsOptions> options, TimeProvider time) : ITenantData
{
    public const string NoTenant = "-";
    public const int MaxLimit = 1000;
    private static readonly string[] Levels = ["trace", "debug", "info", "warn", "error", "fatal"];

    private readonly CatalogTable<Stored> _table = new(coredms, PlatformTables.LogEvents, e => new()
    {
        ["tenant"] = e.Tenant, ["day"] = e.Day, ["event_id"] = e.EventId, ["at"] = e.At, ["level"] = e.Level, ["action"] = e.Action,
        ["dataset"] = e.Dataset, ["file_id"] = e.FileId, ["run_id"] = e.RunId, ["message"] = e.Message, ["document"] = e.Document,
    }, r => new Stored(r.Text("tenant"), r.Text("day"), r.Text("event_id"), r.Get<DateTimeOffset>("at"), r.Text("level"), r.Text("action"),
        r.Text("dataset"), r.Text("file_id"), r.Text("run_id"), r.Text("message"), r.Text("document")));

    private sealed record Stored(string Tenant, string Day, string EventId, DateTimeOffset At, string Level, string Action, string Dataset,
        string FileId, string RunId, string Message, string Document)
    {
        public LogEntry Entry() => new(EventId, At, Tenant, Level, Action, Dataset, FileId, RunId, Message, JsonDocument.Parse(Document).RootElement.Clone());
    }

    public TimeSpan Retention => TimeSpan.FromDays(options.Value.RetentionDays);

    public static bool IsLevel(string level) => Levels.Contains(level);

    public Task WriteAsync(IReadOnlyList<EcsDocument> documents, CancellationToken ct) =>
        _table.SaveAllAsync(documents.Select(d => new Stored(d.Tenant ?? NoTenant, Day(d.Timestamp), EventId(d.Timestamp), d.Timestamp, d.Level, d.Action ?? "",
            d.Dataset ?? "", d.FileId ?? "", d.RunId ?? "", d.Message, Encoding.UTF8.GetString(d.Json))).ToList(), Retention, ct);

    /// <summary>Removes a tenant's events, day by day over the retention.</summary>
    public async Task DeleteTenantAsync(string tenant, CancellationToken ct)
    {
        var today = time.GetUtcNow().UtcDateTime.Date;
        for (var day = 0; day <= options.Value.RetentionDays + 1; day++)
        {
            await _table.DeleteAsync([tenant, Day(today.AddDays(-day))], ct);
        }
    }

    public async Task<LogPage> QueryAsync(LogQuery query, CancellationToken ct)
    {
        var who = query.Tenant is { } one ? [one] : (await tenants.ListAsync(ct)).Select(t => t.Id).Append(NoTenant).ToList();
        var now = time.GetUtcNow();
        var since = query.Since is { } s && s > now - Retention ? s : now - Retention;
        var minLevel = query.Level is null ? 0 : Array.IndexOf(Levels, query.Level);
        var found = new List<LogEntry>();
        var last = query.Until is { } u && u < now ? u : now;
        for (var day = last.UtcDateTime.Date; day >= since.UtcDateTime.Date && found.Count <= query.Limit; day = day.AddDays(-1))
        {
            if (query.Before is { Length: >= 12 } before && day > CursorDay(before))
            {
                continue;
            }

            foreach (var tenant in who)
            {
                found.AddRange((await _table.ListAsync([tenant, Day(day)], ct)).Where(e =>
                        e.At >= since && (query.Until is null || e.At < query.Until)
                        && (query.Text is null || e.Message.Contains(query.Text, StringComparison.OrdinalIgnoreCase))
                        && (query.Before is null || string.CompareOrdinal(e.EventId, query.Before) < 0)
                        && (query.Dataset is null || e.Dataset == query.Dataset)
                        && (query.Action is null || e.Action == query.Action)
                        && Array.IndexOf(Levels, e.Level) >= minLevel)
                    .Select(e => e.Entry()));
            }
        }

        var events = found.OrderByDescending(e => e.EventId, StringComparer.Ordinal).Take(query.Limit).ToList();
        return new LogPage(events, found.Count > query.Limit ? events[^1].EventId : null);
    }

    /// <summary>
    /// 32 hex digits that sort by time: Unix milliseconds (12), then a counter of this process (8), so that
    /// events of one millisecond keep their order, then random bits (12) against other processes' ids.
    /// </summary>
    private static string EventId(DateTimeOffset at) =>
        $"{at.ToUnixTimeMilliseconds():x12}{(uint)Interlocked.Increment(ref _sequence):x8}{Random.Shared.NextInt64(1L << 48):x12}";

    private static long _sequence;

    private static string Day(DateTimeOffset at) => Day(at.UtcDateTime.Date);

    private static string Day(DateTime day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The day of an event id (its first 12 hex digits are Unix milliseconds).</summary>
    private static DateTime CursorDay(string eventId) =>
        long.TryParse(eventId[..12], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.Date
            : DateTime.MaxValue;
}
