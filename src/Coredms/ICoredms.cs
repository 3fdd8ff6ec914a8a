namespace Coredms;

/// <summary>
/// The coredms port: the only storage interface the platform uses, shaped after the Cassandra data model
/// so that every engine can implement it faithfully. Keyspaces and table names are plain identifiers
/// (<c>[a-z][a-z0-9_]*</c>); callers derive them from tenant ids (see <see cref="KeyspaceNames"/>).
/// </summary>
public interface ICoredms
{
    /// <summary>The engine's name, as configured (<c>sqlite</c> or <c>cassandra</c>).</summary>
    string Engine { get; }

    /// <summary>
    /// Gives back memory the engine keeps only for speed (SQLite's page caches), without waiting for work in
    /// progress: called when the process is idle. The Cassandra engine keeps none.
    /// </summary>
    void ReleaseMemory()
    {
    }

    /// <summary>Creates the keyspace if it does not exist.</summary>
    Task EnsureKeyspaceAsync(string keyspace, CancellationToken ct = default);

    /// <summary>Removes the keyspace with its tables and data, if it exists.</summary>
    Task DropKeyspaceAsync(string keyspace, CancellationToken ct = default);

    /// <summary>Removes the table with its rows, if it exists; the keyspace's other tables stay.</summary>
    Task DropTableAsync(string keyspace, string table, CancellationToken ct = default);

    /// <summary>
    /// Creates the table if it does not exist, and adds columns that a newer definition has and the stored
    /// one lacks. Throws <see cref="CoredmsException"/> when the primary keys differ or a column changed type.
    /// </summary>
    Task EnsureTableAsync(TableSchema table, CancellationToken ct = default);

    /// <summary>
    /// Writes every row of the batch as an upsert: a row replaces the stored row with the same primary key,
    /// and when a key occurs twice in the batch the later row wins. Rows expire after <paramref name="ttl"/>.
    /// </summary>
    Task UpsertAsync(RowBatch rows, TimeSpan? ttl, CancellationToken ct = default);

    /// <summary>Inserts the batch's single row unless a live row with its key exists; true when inserted.</summary>
    Task<bool> InsertIfAbsentAsync(RowBatch row, TimeSpan? ttl, CancellationToken ct = default);

    /// <summary>
    /// Compare-and-set on one row: applies <paramref name="changes"/> only if the row exists and each
    /// column in <paramref name="expected"/> holds the given value (null matches null). True when applied.
    /// With a <paramref name="ttl"/>, the row expires that long after the change when every non-key column is
    /// changed (on Cassandra the changed columns expire; on SQLite the row). On Cassandra this is a lightweight
    /// transaction, stamped by the server's clock: a row it changes must not also be written by
    /// <see cref="UpsertAsync"/>, which the client stamps (see <c>SaveSeriallyAsync</c> in the catalog).
    /// </summary>
    Task<bool> UpdateIfAsync(TableSchema table, IReadOnlyList<object?> primaryKey, IReadOnlyDictionary<string, object?> changes,
        IReadOnlyDictionary<string, object?> expected, TimeSpan? ttl = null, CancellationToken ct = default);

    /// <summary>
    /// Reads live rows whose leading primary key columns equal <see cref="SelectQuery.KeyPrefix"/>, at most
    /// <see cref="SelectQuery.Limit"/> of them, continuing from a paging state. Within a partition rows come in
    /// clustering order; across partitions the order is the engine's. An empty prefix scans the table.
    /// </summary>
    Task<RowPage> SelectAsync(TableSchema table, SelectQuery query, CancellationToken ct = default);

    /// <summary>
    /// Deletes one row only if it exists and each column in <paramref name="expected"/> holds the given value (a
    /// lightweight transaction on Cassandra, like <see cref="UpdateIfAsync"/>). True when deleted.
    /// </summary>
    Task<bool> DeleteIfAsync(TableSchema table, IReadOnlyList<object?> primaryKey, IReadOnlyDictionary<string, object?> expected, CancellationToken ct = default);

    /// <summary>
    /// Deletes the rows whose leading primary key columns equal <paramref name="keyPrefix"/>: the whole partition key
    /// at least (Cassandra deletes partitions, rows or clustering prefixes), or nothing, which empties the table.
    /// </summary>
    Task DeleteAsync(TableSchema table, IReadOnlyList<object?> keyPrefix, CancellationToken ct = default);

    /// <summary>
    /// Bytes the keyspace occupies (0 when it does not exist). An estimate that may lag behind writes: SQLite's is the
    /// file's size now; Cassandra's is its size estimate, which it refreshes every few minutes (and only from flushed
    /// data), so rows written since the last refresh are not in it yet.
    /// </summary>
    Task<long> SizeAsync(string keyspace, CancellationToken ct = default);

    /// <summary>Removes rows whose TTL has passed; returns how many. Engines with native TTL return 0.</summary>
    Task<long> SweepExpiredAsync(CancellationToken ct = default);
}

/// <summary>A select: key prefix (values for the leading primary key columns), page size, continuation.</summary>
public sealed record SelectQuery(IReadOnlyList<object?> KeyPrefix, int Limit = 1000, string? PagingState = null)
{
    public static SelectQuery All(int limit = 1000, string? pagingState = null) => new([], limit, pagingState);
}

/// <summary>One page of rows (values in the CLR forms of <see cref="RowBatch.GetValue"/>) and where to go on.</summary>
public sealed record RowPage(IReadOnlyList<object?[]> Rows, string? PagingState);

/// <summary>A storage failure the caller can act on (schema conflicts, bad identifiers, engine errors).</summary>
public class CoredmsException : Exception
{
    public CoredmsException()
    {
    }

    public CoredmsException(string message)
        : base(message)
    {
    }

    public CoredmsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The store ran out of room (SQLite's SQLITE_FULL, a file system with no space left): the platform answers 507 and
/// names the store and the space left, instead of an internal error.
/// </summary>
public sealed class StoreFullException : CoredmsException
{
    public StoreFullException()
    {
    }

    public StoreFullException(string message)
        : base(message)
    {
    }

    public StoreFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public StoreFullException(string store, string message)
        : base(message)
    {
        Store = store;
    }

    /// <summary>Where the platform tried to write (a folder or a database file).</summary>
    public string Store { get; } = "";
}

/// <summary>Free room on the file system that holds a path.</summary>
public static class DiskSpace
{
    /// <summary>Bytes a non-privileged writer can still use where <paramref name="path"/> lives (-1 when unknown).</summary>
    public static long FreeBytes(string path)
    {
        try
        {
            return new DriveInfo(Path.GetFullPath(path)).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    /// <summary>True for the error a write gets on a full file system (ENOSPC).</summary>
    public static bool IsFull(IOException e) => e.HResult is 28 or unchecked((int)0x80070070);
}

/// <summary>A paging state the table did not issue (from another listing, altered, or not one at all): the caller's input, not a storage failure.</summary>
public sealed class PagingStateException : CoredmsException
{
    public PagingStateException()
        : base("The paging state is not one this table issued.")
    {
    }

    public PagingStateException(string message)
        : base(message)
    {
    }

    public PagingStateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public PagingStateException(Exception innerException)
        : base("The paging state is not one this table issued.", innerException)
    {
    }
}
