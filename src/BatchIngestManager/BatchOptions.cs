namespace BatchIngestManager;

/// <summary>A tenant app the platform provides: the command the batch manager runs for it.</summary>
public sealed class AppCommand
{
    public string Command { get; set; } = "";

    public string[] Arguments { get; set; } = [];
}

/// <summary>Batch manager settings (section <c>Batch</c>).</summary>
public sealed class BatchOptions
{
    public const string Section = "Batch";

    /// <summary>How often requested runs are looked for in the catalog (runs requested in this process start at once).</summary>
    public int PollSeconds { get; set; } = 5;

    /// <summary>How many tenants' runs may execute at the same time (one tenant never runs twice at once).</summary>
    public int MaxParallelTenants { get; set; } = 2;

    /// <summary>How often expired rows and files are removed.</summary>
    public int RetentionSweepMinutes { get; set; } = 60;

    /// <summary>
    /// The apps tenants may name in their agreement. The sample <c>clientbatchingestapp</c> is added when it was
    /// built next to the manager and not configured otherwise.
    /// </summary>
    public Dictionary<string, AppCommand> Apps { get; set; } = new(StringComparer.Ordinal);
}
