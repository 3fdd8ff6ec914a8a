namespace Coredms;

/// <summary>A column of a coredms table.</summary>
public sealed record Column(string Name, DataType Type);

/// <summary>
/// A coredms table in the Cassandra data model: a partition key (one or more columns), then clustering
/// columns; together they are the primary key. Rows with the same partition key live together and are
/// ordered by the clustering columns.
/// </summary>
public sealed class TableSchema
{
    private readonly Dictionary<string, int> _indexes;

    public TableSchema(string keyspace, string name, IReadOnlyList<Column> columns, IReadOnlyList<string> partitionKey,
        IReadOnlyList<string>? clusteringKey = null)
    {
        Keyspace = keyspace;
        Name = name;
        Columns = columns;
        PartitionKey = partitionKey;
        ClusteringKey = clusteringKey ?? [];
        _indexes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < columns.Count; i++)
        {
            _indexes.Add(columns[i].Name, i);
        }

        if (partitionKey.Count == 0)
        {
            throw new ArgumentException("A table needs at least one partition key column.", nameof(partitionKey));
        }

        PrimaryKey = [.. partitionKey, .. ClusteringKey];
        PrimaryKeyIndexes = PrimaryKey.Select(IndexOf).ToArray();
    }

    public string Keyspace { get; }

    public string Name { get; }

    public IReadOnlyList<Column> Columns { get; }

    public IReadOnlyList<string> PartitionKey { get; }

    public IReadOnlyList<string> ClusteringKey { get; }

    /// <summary>Partition key columns followed by clustering columns.</summary>
    public IReadOnlyList<string> PrimaryKey { get; }

    /// <summary>Column indexes of <see cref="PrimaryKey"/>.</summary>
    public IReadOnlyList<int> PrimaryKeyIndexes { get; }

    /// <summary>The index of a column; throws for an unknown name.</summary>
    public int IndexOf(string column) =>
        _indexes.TryGetValue(column, out var i) ? i : throw new ArgumentException($"Table {Keyspace}.{Name} has no column '{column}'.", nameof(column));

    /// <summary>
    /// Rows of this table are also changed by compare-and-set (<see cref="ICoredms.UpdateIfAsync"/>): an engine whose
    /// compare-and-set and plain writes are ordered by different clocks (Cassandra: server against client timestamps)
    /// writes them serially, so that a whole-row upsert never loses to, or overrides, a conditional change out of order.
    /// </summary>
    public bool Serial { get; init; }

    /// <summary>A stable text form used to detect that two definitions of one table differ.</summary>
    public string Definition =>
        string.Join(", ", Columns.Select(c => $"{c.Name} {c.Type}")) +
        $"; partition key ({string.Join(", ", PartitionKey)}); clustering ({string.Join(", ", ClusteringKey)})";

    public override string ToString() => $"{Keyspace}.{Name}";
}
