namespace Coredms.Sqlite;

/// <summary>Options of the SQLite engine (section <c>Coredms:Sqlite</c>).</summary>
public sealed class SqliteOptions
{
    /// <summary>Where the keyspace files live: one <c>{keyspace}.db</c> per keyspace. Defaults to <c>{MYSIMBDP_HOME}/coredms</c>.</summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>Page cache per open keyspace, in MB. Bulk loads with random keys need it; memory is bounded by it.</summary>
    public int CacheSizeMb { get; set; } = 32;
}
