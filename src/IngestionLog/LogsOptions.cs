namespace IngestionLog;

/// <summary>Where the platform's log goes besides the console (section <c>Logs</c>).</summary>
public sealed class LogsOptions
{
    public const string Section = "Logs";

    /// <summary>Lines on the console (stdout, warnings and errors on stderr); benchmarks turn it off to print only their report.</summary>
    public bool Console { get; set; } = true;

    /// <summary>Rolling JSON (ECS) files under <c>{Platform:Home}/logs</c>, one per service and day.</summary>
    public bool Files { get; set; } = true;

    /// <summary>Days the catalog keeps ingestion events for the admin API.</summary>
    public int RetentionDays { get; set; } = 14;

    /// <summary>Documents waiting for a destination before the oldest are dropped.</summary>
    public int QueueCapacity { get; set; } = 20_000;

    public ElasticsearchOptions Elasticsearch { get; set; } = new();
}

/// <summary>The Elasticsearch bulk sink (section <c>Logs:Elasticsearch</c>); on when <see cref="Url"/> is set.</summary>
public sealed class ElasticsearchOptions
{
    /// <summary>http(s)://host:9200; <c>MYSIMBDP_ELASTICSEARCH</c> sets it.</summary>
    public string Url { get; set; } = "";

    /// <summary>The data stream (or index) documents are created in.</summary>
    public string DataStream { get; set; } = "logs-mysimbdp-default";

    public string Username { get; set; } = "";

    public string Password { get; set; } = "";

    public int BatchSize { get; set; } = 500;

    public int FlushMilliseconds { get; set; } = 1000;
}
