using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;

namespace Coredms.Sqlite;

/// <summary>The SQL text the engine runs for a table; every identifier is quoted.</summary>
internal static class SqliteSql
{
    /// <summary>The hidden column holding a row's expiry (ms since epoch; NULL never expires). '$' cannot start an Avro name.</summary>
    public const string Expires = "\"$expires\"";

    public const string TablesTable = "\"$tables\"";

    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public static string Affinity(DataType type) => type.Storage switch
    {
        ValueStorage.Int64 => "INTEGER",
        ValueStorage.Double => "REAL",
        ValueStorage.Blob => "BLOB",
        _ => "TEXT",
    };

    public static string CreateTable(TableSchema table)
    {
        var sql = new StringBuilder("CREATE TABLE IF NOT EXISTS ").Append(Quote(table.Name)).Append(" (");
        foreach (var column in table.Columns)
        {
            sql.Append(Quote(column.Name)).Append(' ').Append(Affinity(column.Type)).Append(", ");
        }

        return sql.Append(Expires).Append(" INTEGER, PRIMARY KEY (")
            .AppendJoin(", ", table.PrimaryKey.Select(Quote)).Append(")) WITHOUT ROWID").ToString();
    }

    /// <summary>Insert texts already made, per table: a many-row insert is tens of KB, and every write needs it.</summary>
    private static readonly ConditionalWeakTable<TableSchema, ConcurrentDictionary<(string Verb, int Rows), string>> Inserts = [];

    /// <summary>"{verb} INTO table (columns, $expires) VALUES (?1, ...), ..." for <paramref name="rows"/> rows; made once per table and shape.</summary>
    public static string Insert(TableSchema table, string verb, int rows = 1) =>
        Inserts.GetOrCreateValue(table).GetOrAdd((verb, rows), key => MakeInsert(table, key.Verb, key.Rows));

    private static string MakeInsert(TableSchema table, string verb, int rows)
    {
        var width = table.Columns.Count + 1;
        var values = string.Join(", ", Enumerable.Range(0, rows).Select(r => $"({Parameters((r * width) + 1, width)})"));
        return $"{verb} INTO {Quote(table.Name)} ({string.Join(", ", table.Columns.Select(c => Quote(c.Name)))}, {Expires}) VALUES {values}";
    }

    public static string Select(TableSchema table, int prefixLength, bool paged)
    {
        var sql = new StringBuilder("SELECT ").AppendJoin(", ", table.Columns.Select(c => Quote(c.Name)))
            .Append(" FROM ").Append(Quote(table.Name)).Append(" WHERE (").Append(Expires).Append(" IS NULL OR ").Append(Expires).Append(" > ?1)");
        var parameter = 2;
        for (var i = 0; i < prefixLength; i++)
        {
            sql.Append(" AND ").Append(Quote(table.PrimaryKey[i])).Append(" = ?").Append(parameter++);
        }

        if (paged)
        {
            sql.Append(" AND (").AppendJoin(", ", table.PrimaryKey.Select(Quote)).Append(") > (")
                .Append(Parameters(parameter, table.PrimaryKey.Count)).Append(')');
            parameter += table.PrimaryKey.Count;
        }

        return sql.Append(" ORDER BY ").AppendJoin(", ", table.PrimaryKey.Select(Quote)).Append(" LIMIT ?").Append(parameter).ToString();
    }

    /// <summary>"k1 = ?{first} AND k2 = ?{first+1} ..." for the first <paramref name="count"/> primary key columns.</summary>
    public static string KeyCondition(TableSchema table, int count, int first) =>
        count == 0 ? "1" : string.Join(" AND ", table.PrimaryKey.Take(count).Select((k, i) => $"{Quote(k)} = ?{first + i}"));

    private static string Parameters(int first, int count) => string.Join(", ", Enumerable.Range(first, count).Select(i => "?" + i));
}
