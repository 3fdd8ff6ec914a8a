namespace BatchIngestManager;

/// <summary>Batch manager settings (section <c>Batch</c>).</summary>
public sealed class BatchOptions
{
    public const string Section = "Batch";

    /// <summary>How often requested runs are looked for in the catalog (runs requested in this process start at once).</summary>
    public int PollSeconds { get; set; } = 5;

    /// <summary>How many runs this process executes at the same time, all tenants together (each tenant at most its concurrent_runs of them).</summary>
    public int MaxParallelTenants { get; set; } = 2;

    /// <summary>How often the schedules are compared with the agreements (changes made in this process apply at once).</summary>
    public int ReconcileSeconds { get; set; } = 10;

    /// <summary>How often expired rows and files are removed.</summary>
    public int RetentionSweepMinutes { get; set; } = 60;
}
