using System.Text.Json;

namespace Coredms.Sqlite;

/// <summary>One file of a keyspace (a shard): its connection and the table definitions stored in it.</summary>
internal sealed class SqliteKeyspace : IDisposable
{
    private readonly Dictionary<string, StoredTable> _tables = new(StringComparer.Ordinal);

    public SqliteKeyspace(string name, string path, SqliteOptions options)
    {
        Name = name;
        Path = path;
        Connection = SqliteConnection.Open(path, options.CacheSizeMb, options.PageSize);
        Connection.Execute($"CREATE TABLE IF NOT EXISTS {SqliteSql.TablesTable} (name TEXT PRIMARY KEY, definition TEXT NOT NULL) WITHOUT ROWID");
        var select = Connection.Prepare($"SELECT name, definition FROM {SqliteSql.TablesTable}");
        while (select.Step())
        {
            _tables[select.GetText(0)] = JsonSerializer.Deserialize<StoredTable>(select.GetText(1))!;
        }

        select.Reset();
    }

    public string Name { get; }

    public string Path { get; }

    /// <summary>Serialises every use of <see cref="Connection"/>: SQLite has one writer per file anyway.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    public SqliteConnection Connection { get; }

    /// <summary>The keyspace's shard count, kept in its first file's <c>user_version</c> (0 in files from before shards: one).</summary>
    public int ShardCount
    {
        get
        {
            var read = Connection.Prepare("PRAGMA user_version");
            read.Step();
            var count = (int)read.GetInt64(0);
            read.Reset();
            return Math.Max(1, count);
        }

        set => Connection.Execute($"PRAGMA user_version={value}");
    }

    public IEnumerable<string> TableNames => _tables.Keys;

    /// <summary>Creates the table, or adds the columns a newer definition brings; refuses key or type changes.</summary>
    public void EnsureTable(TableSchema table)
    {
        var wanted = StoredTable.From(table);
        if (!_tables.TryGetValue(table.Name, out var stored))
        {
            Connection.Execute(SqliteSql.CreateTable(table));
            Save(table.Name, wanted);
            return;
        }

        if (!stored.PartitionKey.SequenceEqual(wanted.PartitionKey) || !stored.Clustering.SequenceEqual(wanted.Clustering))
        {
            throw new CoredmsException($"Table {Name}.{table.Name} exists with primary key ({string.Join(", ", stored.PartitionKey.Concat(stored.Clustering))}); it cannot change to ({string.Join(", ", table.PrimaryKey)}).");
        }

        var existing = stored.Columns.ToDictionary(c => c.Name, c => c.Type, StringComparer.OrdinalIgnoreCase);
        var added = false;
        foreach (var column in table.Columns)
        {
            if (!existing.TryGetValue(column.Name, out var type))
            {
                Connection.Execute($"ALTER TABLE {SqliteSql.Quote(table.Name)} ADD COLUMN {SqliteSql.Quote(column.Name)} {SqliteSql.Affinity(column.Type)}");
                added = true;
            }
            else if (type != column.Type.ToString())
            {
                throw new CoredmsException($"Column {Name}.{table.Name}.{column.Name} is {type}; it cannot change to {column.Type}.");
            }
        }

        if (added)
        {
            var merged = stored.Columns.Concat(wanted.Columns.Where(c => !existing.ContainsKey(c.Name))).ToList();
            Save(table.Name, stored with { Columns = merged });
        }
    }

    /// <summary>Drops the table and its definition, and forgets the statements prepared for it.</summary>
    public void DropTable(string table)
    {
        if (!_tables.ContainsKey(table))
        {
            return;
        }

        Connection.Forget(SqliteSql.Quote(table));
        Connection.InWriteTransaction(() =>
        {
            Connection.Execute($"DROP TABLE IF EXISTS {SqliteSql.Quote(table)}");
            var delete = Connection.Prepare($"DELETE FROM {SqliteSql.TablesTable} WHERE name = ?1");
            delete.BindText(1, table);
            delete.Run();
            return true;
        });
        _tables.Remove(table);
    }

    private void Save(string table, StoredTable definition)
    {
        var upsert = Connection.Prepare($"INSERT OR REPLACE INTO {SqliteSql.TablesTable} (name, definition) VALUES (?1, ?2)");
        upsert.BindText(1, table);
        upsert.BindText(2, JsonSerializer.Serialize(definition));
        upsert.Run();
        _tables[table] = definition;
    }

    public void Dispose()
    {
        Connection.Dispose();
        Gate.Dispose();
    }

    private sealed record StoredColumn(string Name, string Type);

    private sealed record StoredTable(List<StoredColumn> Columns, List<string> PartitionKey, List<string> Clustering)
    {
        public static StoredTable From(TableSchema table) => new(
            table.Columns.Select(c => new StoredColumn(c.Name, c.Type.ToString())).ToList(),
            [.. table.PartitionKey],
            [.. table.ClusteringKey]);
    }
}
