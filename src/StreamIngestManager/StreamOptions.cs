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

    /// <summary>A dataset capturing changes that stays paused longer than this is reported: its slot keeps WAL on the tenant's server.</summary>
    public double CdcPausedWarnHours { get; set; } = 24;

    /// <summary>
    /// Files ingested at once by this process, all tenants together: a tenant alone may use them all, several share them
    /// (<c>FileSlots</c>). A small file spends most of its time waiting for writes (the store's, the catalog's), not on
    /// a core, so the slots are counted for that: with 2, a tenant sending ten 1,000-row files a second had a share of
    /// one slot beside a flood and fell behind for good (p50 37 s in <c>bench stream --noisy-neighbour</c>); with 8 it
    /// keeps up. Large files are held back by the bulk lane's priority instead (<see cref="BulkFileMb"/>).
    /// </summary>
    public int FilesInParallel { get; set; } = 8;

    /// <summary>
    /// Streamed files of at least this many MiB are read on the bulk lane (<c>BulkLane</c>: threads at a lower operating
    /// system priority), so that a flood of large files leaves the cores to small ones first. 0 reads every file there.
    /// </summary>
    public double BulkFileMb { get; set; } = 1;

    /// <summary>The largest events request accepted, in MiB.</summary>
    public int MaxEventsRequestMb { get; set; } = 16;

    /// <summary>
    /// MiB of events request bodies ingested at once by this process; more wait in a queue (back-pressure instead of a
    /// growing heap). At least <see cref="MaxEventsRequestMb"/>.
    /// </summary>
    public int EventsInFlightMb { get; set; } = 32;

    /// <summary>MiB of events request bodies that may wait for room; a request beyond it is answered 503 with Retry-After at once.</summary>
    public int EventsQueueMb { get; set; } = 128;

    /// <summary>How long a request waits in the queue before it is answered 503 with Retry-After.</summary>
    public double EventsQueueSeconds { get; set; } = 10;
}
