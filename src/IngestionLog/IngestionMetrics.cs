using System.Diagnostics.Metrics;
using Serilog.Core;
using Serilog.Events;

namespace IngestionLog;

/// <summary>
/// The platform's ingestion metrics (meter <see cref="MeterName"/>), counted from the ingestion log's events as they
/// are logged: every fact is counted where it is already recorded, once, and a metric never disagrees with the log.
/// Labels are the tenant and, where the event has them, the dataset, a status or a quota.
/// </summary>
/// <remarks>
/// Instruments (Prometheus names in brackets): rows loaded [mysimbdp_rows_loaded_total], by path (file, events);
/// rows quarantined [mysimbdp_rows_quarantined_total]; files ingested by final status [mysimbdp_files_total]; batch
/// run durations by status [mysimbdp_run_duration_seconds]; events requests accepted
/// [mysimbdp_events_requests_total]; uploads and events refused by status [mysimbdp_refused_total]; quota
/// refusals by quota [mysimbdp_quota_refusals_total]; and, timed where the rows are written rather than logged,
/// coredms writes by keyspace and path [mysimbdp_coredms_write_duration_seconds].
/// </remarks>
public sealed class IngestionMetrics : ILogEventSink
{
    public const string MeterName = "mysimbdp";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> RowsLoaded = Meter.CreateCounter<long>("mysimbdp.rows.loaded", "{row}", "Rows written to coredms.");
    private static readonly Counter<long> RowsQuarantined = Meter.CreateCounter<long>("mysimbdp.rows.quarantined", "{row}", "Rows put in quarantine with their reason.");
    private static readonly Counter<long> Files = Meter.CreateCounter<long>("mysimbdp.files", "{file}", "Files ingested, by their final status.");
    private static readonly Histogram<double> RunDuration = Meter.CreateHistogram<double>("mysimbdp.run.duration", "s", "Batch runs, from start to outcome.");
    private static readonly Counter<long> EventsRequests = Meter.CreateCounter<long>("mysimbdp.events.requests", "{request}", "Events requests accepted (202).");
    private static readonly Counter<long> Refused = Meter.CreateCounter<long>("mysimbdp.refused", "{request}", "Uploads and events requests refused, by status.");
    private static readonly Counter<long> QuotaRefusals = Meter.CreateCounter<long>("mysimbdp.quota.refusals", "{refusal}", "Requests or staged files held back by a quota.");
    private static readonly Histogram<double> CoredmsWrites = Meter.CreateHistogram<double>("mysimbdp.coredms.write.duration", "s", "Writes of ingested rows to coredms, one batch each.");

    /// <summary>Times one write of ingested rows to coredms (not a log event: writes are too many to log).</summary>
    /// <param name="keyspace">The physical keyspace (one per tenant key space).</param>
    /// <param name="path">file (batch and staged files) or stream (the stream consumer).</param>
    /// <param name="write">The write.</param>
    public static async Task TimeWriteAsync(string keyspace, string path, Func<Task> write)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await write();
        CoredmsWrites.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, new("keyspace", keyspace), new("path", path));
    }

    public void Emit(LogEvent logEvent)
    {
        if (Text(logEvent, "EventAction") is not { } action)
        {
            return;
        }

        var tenant = new KeyValuePair<string, object?>("tenant", Text(logEvent, "TenantId"));
        var dataset = new KeyValuePair<string, object?>("dataset", Text(logEvent, "Dataset"));
        switch (action)
        {
            case IngestionEvents.RowsLoaded:
                RowsLoaded.Add(Number(logEvent, "RowsLoaded"), tenant, dataset, new("path", "file"));
                Files.Add(1, tenant, dataset, new("status", Text(logEvent, "FileStatus")));
                break;
            case IngestionEvents.RowsQuarantined:
                // A file's quarantined rows and the stream's unreadable records (events requests count theirs below).
                RowsQuarantined.Add(Number(logEvent, "RowsQuarantined"), tenant, dataset);
                break;
            case IngestionEvents.EventsAccepted:
                RowsLoaded.Add(Number(logEvent, "RowsLoaded"), tenant, dataset, new("path", "events"));
                RowsQuarantined.Add(Number(logEvent, "RowsQuarantined"), tenant, dataset);
                EventsRequests.Add(1, tenant, dataset);
                break;
            case IngestionEvents.RunFinished:
                RunDuration.Record(Number(logEvent, "EventDuration") / 1000.0, tenant, new("status", Text(logEvent, "RunStatus")));
                break;
            case IngestionEvents.UploadRefused or IngestionEvents.EventsRefused:
                Refused.Add(1, tenant, dataset, new("action", action), new("status", Number(logEvent, "StatusCode")));
                break;
            case IngestionEvents.QuotaExceeded:
                QuotaRefusals.Add(1, tenant, new("quota", Text(logEvent, "Quota")));
                break;
        }
    }

    private static string? Text(LogEvent e, string name) =>
        e.Properties.TryGetValue(name, out var value) && value is ScalarValue { Value: { } v } ? v.ToString() : null;

    private static long Number(LogEvent e, string name) =>
        e.Properties.TryGetValue(name, out var value) && value is ScalarValue { Value: IConvertible v } ? v.ToInt64(System.Globalization.CultureInfo.InvariantCulture) : 0;
}
