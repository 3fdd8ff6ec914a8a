using Microsoft.Extensions.Logging;

namespace IngestionLog;

/// <summary>
/// The ingestion log's event actions (ECS <c>event.action</c>). Every ingestion event is a log line whose
/// message template starts with <c>{EventAction}</c> and names its facts as properties (<c>{TenantId}</c>,
/// <c>{Dataset}</c>, <c>{FileId}</c>, <c>{RunId}</c>, counts...), which the sinks map to ECS field names.
/// </summary>
public static class IngestionEvents
{
    public const string FileStaged = "file.staged";
    public const string FileClaimed = "file.claimed";
    public const string FileFailed = "file.failed";
    public const string RowsLoaded = "rows.loaded";
    public const string RowsQuarantined = "rows.quarantined";
    public const string RunStarted = "run.started";
    public const string RunFinished = "run.finished";
    public const string QuotaExceeded = "quota.exceeded";
    public const string AppOutput = "app.output";
    public const string AppFinished = "app.finished";
    public const string UploadRefused = "upload.refused";
    public const string EventsRefused = "events.refused";
    public const string RetentionSwept = "retention.swept";
    public const string EventsAccepted = "events.accepted";
    public const string DatasetPaused = "dataset.paused";
    public const string DatasetResumed = "dataset.resumed";
    public const string SourceFailed = "source.failed";
    public const string LakeWritten = "lake.written";
    public const string LakeFailed = "lake.failed";

    /// <summary>The level an action is logged at: failures and refusals are warnings, everything else information.</summary>
    public static LogLevel LevelOf(string action) => action switch
    {
        FileFailed or QuotaExceeded or UploadRefused or EventsRefused or LakeFailed => LogLevel.Warning,
        SourceFailed => LogLevel.Error,
        _ => LogLevel.Information,
    };

    /// <summary>
    /// Logs an ingestion event at its action's level: <paramref name="template"/> starts with <c>{EventAction}</c>,
    /// which is <paramref name="action"/>, and <paramref name="args"/> fill the rest. Callers pass constant templates.
    /// </summary>
    public static void IngestionEvent(this ILogger logger, string action, string template, params object?[] args) =>
        logger.IngestionEvent(action, LevelOf(action), template, args);

    /// <summary>Logs an ingestion event at <paramref name="level"/> (an outcome that is good or bad news under one action).</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2254:Template should be a static expression", Justification = "A pass-through: every caller's template is a constant.")]
    public static void IngestionEvent(this ILogger logger, string action, LogLevel level, string template, params object?[] args) =>
        logger.Log(level, template, [action, .. args]);
}
