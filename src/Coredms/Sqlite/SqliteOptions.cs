namespace Coredms.Sqlite;

/// <summary>Options of the SQLite engine (section <c>Coredms:Sqlite</c>).</summary>
public sealed class SqliteOptions
{
    /// <summary>Where the keyspace files live: one <c>{keyspace}.db</c> per keyspace. Defaults to <c>{MYSIMBDP_HOME}/coredms</c>.</summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>
    /// Page cache per open keyspace, in MB. Bulk loads commit large batches, so their speed hardly depends on it
    /// (measured the same from 8 to 128 MB); the operating system caches the files anyway.
    /// </summary>
    public int CacheSizeMb { get; set; } = 16;

    /// <summary>
    /// Page size of new keyspace files. 16 KiB pages make bulk loads with keys in random order about a fifth
    /// faster than SQLite's 4 KiB default (fewer, shallower pages to split); existing files keep theirs.
    /// </summary>
    public int PageSize { get; set; } = 16384;

    /// <summary>
    /// Files a new keyspace's partitions are spread over (by a hash of the partition key), written in parallel: SQLite
    /// has one writer per file, so one file keeps a bulk load on one core. Existing keyspaces keep the count they were
    /// made with (files from before shards have one).
    /// </summary>
    public int Shards { get; set; } = Math.Clamp(Environment.ProcessorCount, 1, 4);
}
