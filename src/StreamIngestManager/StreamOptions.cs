namespace StreamIngestManager;

/// <summary>Stream manager settings (section <c>Stream</c>).</summary>
public sealed class StreamOptions
{
    public const string Section = "Stream";

    /// <summary>
    /// How often staging folders are scanned besides the file-system watcher's events (watchers can miss
    /// events), and how soon the manager notices datasets and agreements changed by another process.
    /// </summary>
    public double RescanSeconds { get; set; } = 5;

    /// <summary>Files of one tenant ingested at once.</summary>
    public int FilesInParallel { get; set; } = 2;

    /// <summary>The largest events request accepted, in MiB.</summary>
    public int MaxEventsRequestMb { get; set; } = 16;
}
