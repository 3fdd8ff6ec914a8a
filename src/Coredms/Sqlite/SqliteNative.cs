using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SQLitePCL;

namespace Coredms.Sqlite;

/// <summary>
/// A thin, allocation-free wrapper over SQLite's C API (through SQLitePCLRaw): one connection and its
/// cached prepared statements. Not thread-safe; <see cref="SqliteKeyspace"/> serialises access.
/// </summary>
internal sealed class SqliteConnection : IDisposable
{
    private const int OpenReadWrite = 0x2;
    private const int OpenCreate = 0x4;
    private const int OpenNoMutex = 0x8000;

    private readonly sqlite3 _db;
    private readonly Dictionary<string, SqliteStatement> _statements = new(StringComparer.Ordinal);

    static SqliteConnection()
    {
        Batteries_V2.Init();

        // Memory statistics take a global mutex on every allocation; the platform does not read them.
        raw.sqlite3_config(SqliteConfigMemStatus, 0);
    }

    private const int SqliteConfigMemStatus = 9;

    private readonly string _path;

    private SqliteConnection(sqlite3 db, string path)
    {
        _db = db;
        _path = path;
    }

    private const int SqliteFull = 13;

    /// <summary>True inside a transaction (SQLite ends one by itself on some errors, such as a full disk).</summary>
    public bool InTransaction => raw.sqlite3_get_autocommit(_db) == 0;

    public static SqliteConnection Open(string path, int cacheSizeMb, int pageSize)
    {
        var rc = raw.sqlite3_open_v2(path, out var db, OpenReadWrite | OpenCreate | OpenNoMutex, null);
        var connection = new SqliteConnection(db, path);
        connection.Check(rc, "open " + path);
        raw.sqlite3_busy_timeout(db, 10_000);
        connection.Execute($"PRAGMA page_size={pageSize}");
        connection.Execute("PRAGMA journal_mode=WAL");
        // FULL: a commit is on disk before it returns, so what the platform acknowledged survives a power loss.
        // Bulk loads commit rarely (large batches), so it costs them nothing measurable.
        connection.Execute("PRAGMA synchronous=FULL");
        connection.Execute($"PRAGMA cache_size=-{cacheSizeMb * 1024}");
        connection.Execute("PRAGMA temp_store=MEMORY");
        return connection;
    }

    public void Execute(string sql)
    {
        var rc = raw.sqlite3_exec(_db, sql, out var message);
        if (rc != raw.SQLITE_OK)
        {
            throw Failure(rc, $"SQLite: {message ?? raw.sqlite3_errstr(rc).utf8_to_string()} (in: {sql})");
        }
    }

    /// <summary>A prepared statement, cached for the connection's lifetime and reset before it is handed out.</summary>
    public SqliteStatement Prepare(string sql)
    {
        if (_statements.TryGetValue(sql, out var cached))
        {
            cached.Reset();
            return cached;
        }

        Check(raw.sqlite3_prepare_v2(_db, sql, out var stmt), sql);
        var statement = new SqliteStatement(this, stmt, sql);
        _statements.Add(sql, statement);
        return statement;
    }

    public int Changes => raw.sqlite3_changes(_db);

    /// <summary>Finalizes and drops the cached statements whose text mentions <paramref name="quotedName"/> (a table about to be dropped).</summary>
    public void Forget(string quotedName)
    {
        foreach (var (sql, statement) in _statements.Where(s => s.Key.Contains(quotedName, StringComparison.Ordinal)).ToList())
        {
            statement.Close();
            _statements.Remove(sql);
        }
    }

    /// <summary>Statements prepared and kept so far (tests check that no call makes a new one each time).</summary>
    internal int CachedStatements => _statements.Count;

    internal void Check(int rc, string context)
    {
        if (rc is not (raw.SQLITE_OK or raw.SQLITE_ROW or raw.SQLITE_DONE))
        {
            throw Failure(rc, $"SQLite error {rc}: {raw.sqlite3_errmsg(_db).utf8_to_string()} (in: {context})");
        }
    }

    private CoredmsException Failure(int rc, string message) =>
        (rc & 0xff) == SqliteFull ? new StoreFullException(_path, message) : new CoredmsException(message);

    /// <summary>
    /// Runs <paramref name="work"/> in a write transaction. On failure the transaction is rolled back if SQLite has not
    /// already ended it, and the failure that happened is the one thrown (a failed rollback would otherwise hide it).
    /// </summary>
    public T InWriteTransaction<T>(Func<T> work)
    {
        Execute("BEGIN IMMEDIATE");
        try
        {
            var result = work();
            Execute("COMMIT");
            return result;
        }
        catch
        {
            if (InTransaction)
            {
                try
                {
                    Execute("ROLLBACK");
                }
                catch (CoredmsException)
                {
                    // The original failure is the one to report.
                }
            }

            throw;
        }
    }

    public void Dispose()
    {
        foreach (var statement in _statements.Values)
        {
            statement.Close();
        }

        _statements.Clear();
        raw.sqlite3_close_v2(_db);
    }
}

internal sealed class SqliteStatement(SqliteConnection connection, sqlite3_stmt stmt, string sql)
{
    /// <summary>The raw statement pointer, for <see cref="BulkBind"/>; valid while the connection is open.</summary>
    public IntPtr Handle => stmt.DangerousGetHandle();

    public void BindInt64(int index, long value) => connection.Check(raw.sqlite3_bind_int64(stmt, index, value), sql);

    public void BindDouble(int index, double value) => connection.Check(raw.sqlite3_bind_double(stmt, index, value), sql);

    public void BindText(int index, ReadOnlySpan<byte> utf8) => connection.Check(raw.sqlite3_bind_text(stmt, index, utf8), sql);

    public void BindText(int index, string value) => connection.Check(raw.sqlite3_bind_text(stmt, index, value), sql);

    public void BindBlob(int index, ReadOnlySpan<byte> value) => connection.Check(raw.sqlite3_bind_blob(stmt, index, value), sql);

    public void BindNull(int index) => connection.Check(raw.sqlite3_bind_null(stmt, index), sql);

    /// <summary>Runs to the next row; false when the statement is done.</summary>
    public bool Step()
    {
        var rc = raw.sqlite3_step(stmt);
        connection.Check(rc, sql);
        return rc == raw.SQLITE_ROW;
    }

    /// <summary>Runs a statement that returns no rows, then resets it for reuse.</summary>
    public void Run()
    {
        Step();
        Reset();
    }

    /// <summary>Makes the statement ready to run again; every parameter is bound anew before each run, so bindings are not cleared.</summary>
    public void Reset() => raw.sqlite3_reset(stmt);

    public bool IsNull(int column) => raw.sqlite3_column_type(stmt, column) == raw.SQLITE_NULL;

    public long GetInt64(int column) => raw.sqlite3_column_int64(stmt, column);

    public double GetDouble(int column) => raw.sqlite3_column_double(stmt, column);

    /// <summary>The column's bytes, valid until the next step or reset.</summary>
    public ReadOnlySpan<byte> GetBytes(int column) => raw.sqlite3_column_blob(stmt, column);

    public string GetText(int column) => raw.sqlite3_column_text(stmt, column).utf8_to_string();

    public void Close() => raw.sqlite3_finalize(stmt);
}

/// <summary>
/// Binds for the bulk upsert path straight into the bundled SQLite library: a bulk load binds ten values per
/// row, and the wrapper's layers cost more than SQLite's own bind. These calls are short and never call back,
/// so they skip the GC transition. Return codes are checked by the caller's step.
/// </summary>
internal static unsafe partial class BulkBind
{
    private const string Library = "e_sqlite3";
    private static readonly IntPtr Transient = new(-1);

    [LibraryImport(Library, EntryPoint = "sqlite3_bind_int64")]
    [SuppressGCTransition]
    private static partial int BindInt64(IntPtr stmt, int index, long value);

    [LibraryImport(Library, EntryPoint = "sqlite3_bind_double")]
    [SuppressGCTransition]
    private static partial int BindDouble(IntPtr stmt, int index, double value);

    [LibraryImport(Library, EntryPoint = "sqlite3_bind_null")]
    [SuppressGCTransition]
    private static partial int BindNull(IntPtr stmt, int index);

    [LibraryImport(Library, EntryPoint = "sqlite3_bind_text")]
    [SuppressGCTransition]
    private static partial int BindText(IntPtr stmt, int index, byte* text, int length, IntPtr destructor);

    [LibraryImport(Library, EntryPoint = "sqlite3_bind_blob")]
    [SuppressGCTransition]
    private static partial int BindBlob(IntPtr stmt, int index, byte* blob, int length, IntPtr destructor);

    public static int Int64(IntPtr stmt, int index, long value) => BindInt64(stmt, index, value);

    public static int Double(IntPtr stmt, int index, double value) => BindDouble(stmt, index, value);

    public static int Null(IntPtr stmt, int index) => BindNull(stmt, index);

    public static int Text(IntPtr stmt, int index, ReadOnlySpan<byte> utf8)
    {
        fixed (byte* p = utf8)
        {
            // An empty span has a null pointer, which SQLite would bind as NULL; point at something for "".
            byte empty = 0;
            return BindText(stmt, index, p == null ? &empty : p, utf8.Length, Transient);
        }
    }

    public static int Blob(IntPtr stmt, int index, ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
        {
            byte empty = 0;
            return BindBlob(stmt, index, p == null ? &empty : p, bytes.Length, Transient);
        }
    }
}
