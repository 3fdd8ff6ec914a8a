using System.Numerics;
using Cql;

namespace CqlStandIn;

/// <summary>A bind marker's or result column's description, as PREPARED and ROWS metadata carry it.</summary>
public sealed record ColumnSpec(string Keyspace, string Table, string Name, CqlType Type);

/// <summary>A column of a table: <c>partition_key</c>, <c>clustering</c> or <c>regular</c>, and its position in the key.</summary>
public sealed record ColumnDef(string Name, DeclaredType Type, string Kind, int Position)
{
    public bool IsKey => Kind != "regular";

    /// <summary>The type as <c>system_schema.columns</c> shows it: every collection inside a frozen one written frozen too.</summary>
    public string TypeText => Types.Render(Type.Type, Type.Frozen);
}

/// <summary>A table's definition and its data: partitions in token order, rows in clustering order.</summary>
public sealed class TableDef
{
    public TableDef(string keyspace, string name, IReadOnlyList<(string Name, DeclaredType Type)> columns, IReadOnlyList<string> partitionKey,
        IReadOnlyList<string> clustering)
    {
        Keyspace = keyspace;
        Name = name;
        PartitionKey = partitionKey;
        Clustering = clustering;
        foreach (var (column, type) in columns)
        {
            var partition = IndexOf(partitionKey, column);
            var cluster = IndexOf(clustering, column);
            Add(new ColumnDef(column, type, partition >= 0 ? "partition_key" : cluster >= 0 ? "clustering" : "regular", Math.Max(partition, cluster)));
        }

        ClusteringTypes = clustering.Select(c => Columns[c].Type.Type).ToArray();
        Partitions = new SortedDictionary<byte[], Partition>(Comparer<byte[]>.Create(Types.CompareTokens));
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (names[i] == name)
            {
                return i;
            }
        }

        return -1;
    }

    public string Keyspace { get; }

    public string Name { get; }

    public IReadOnlyList<string> PartitionKey { get; }

    public IReadOnlyList<string> Clustering { get; }

    public IReadOnlyList<CqlType> ClusteringTypes { get; }

    /// <summary>Columns by name, in the order they were declared or added.</summary>
    public Dictionary<string, ColumnDef> Columns { get; } = new(StringComparer.Ordinal);

    public List<ColumnDef> Ordered { get; } = [];

    /// <summary>Partitions by routing key (the serialized partition key), ordered by token.</summary>
    public SortedDictionary<byte[], Partition> Partitions { get; }

    public void Add(ColumnDef column)
    {
        Columns[column.Name] = column;
        Ordered.Add(column);
    }

    /// <summary>The columns <c>SELECT *</c> gives: partition key, clustering columns, then the others by name.</summary>
    public IEnumerable<ColumnDef> StarOrder => PartitionKey.Concat(Clustering).Select(c => Columns[c])
        .Concat(Ordered.Where(c => !c.IsKey).OrderBy(c => c.Name, StringComparer.Ordinal));

    public ColumnSpec Spec(string column) => new(Keyspace, Name, column, Columns[column].Type.Type);

    public Partition PartitionFor(byte[][] key, bool create)
    {
        var routing = Types.RoutingKey(key);
        if (!Partitions.TryGetValue(routing, out var partition) && create)
        {
            partition = new Partition(key, Comparer<byte[][]>.Create((a, b) => Types.CompareClustering(ClusteringTypes, a, b)));
            Partitions[routing] = partition;
        }

        return partition!;
    }
}

/// <summary>A keyspace: its replication and tables.</summary>
public sealed class KeyspaceDef(string name, IReadOnlyDictionary<string, string> replication)
{
    public string Name { get; } = name;

    public IReadOnlyDictionary<string, string> Replication { get; } = replication;

    public Dictionary<string, TableDef> Tables { get; } = new(StringComparer.Ordinal);
}

/// <summary>A cell: its value (null for a tombstone), write timestamp (µs) and, with a TTL, when it expires.</summary>
public sealed record Cell(byte[]? Value, long Timestamp, DateTimeOffset? Expires)
{
    public bool IsLive(long shadow, DateTimeOffset now) => Value is not null && Timestamp > shadow && (Expires is null || Expires > now);

    /// <summary>Cassandra's reconciliation: the higher timestamp wins; on a tie a tombstone wins, then the greater value.</summary>
    public bool Beats(Cell other) => Timestamp != other.Timestamp
        ? Timestamp > other.Timestamp
        : Value is null || (other.Value is not null && Types.CompareBytes(Value, other.Value) > 0);
}

/// <summary>A row: its liveness marker (written by INSERT), its deletion timestamp and its cells.</summary>
public sealed class Row
{
    public Cell? Marker { get; set; }

    public long DeletedAt { get; set; } = long.MinValue;

    public Dictionary<string, Cell> Cells { get; } = new(StringComparer.Ordinal);
}

/// <summary>A partition: its key values, its deletion timestamp, deletions of clustering prefixes, and rows.</summary>
public sealed class Partition(byte[][] key, IComparer<byte[][]> clustering)
{
    public byte[][] Key { get; } = key;

    public long DeletedAt { get; set; } = long.MinValue;

    public List<(byte[][] Prefix, long At)> RangeDeletions { get; } = [];

    public SortedDictionary<byte[][], Row> Rows { get; } = new(clustering);

    /// <summary>The newest deletion covering a row: of the partition, of a prefix of its clustering, or of the row.</summary>
    public long Shadow(byte[][] clustering, Row? row) => Math.Max(Math.Max(DeletedAt, row?.DeletedAt ?? long.MinValue),
        RangeDeletions.Where(d => d.Prefix.Select((v, i) => v.AsSpan().SequenceEqual(clustering[i])).All(x => x)).Select(d => d.At).DefaultIfEmpty(long.MinValue).Max());
}

/// <summary>Type-aware comparisons, routing keys and type names.</summary>
public static class Types
{
    public static int CompareBytes(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.SequenceCompareTo(b);

    /// <summary>Values of a type in Cassandra's order: numbers, times and dates by value; text, blobs and the rest by their bytes.</summary>
    public static int Compare(CqlType type, byte[] a, byte[] b)
    {
        switch (type.Id)
        {
            case CqlTypeId.Int or CqlTypeId.BigInt or CqlTypeId.SmallInt or CqlTypeId.TinyInt or CqlTypeId.Timestamp or CqlTypeId.Time
                or CqlTypeId.Double or CqlTypeId.Float or CqlTypeId.Varint or CqlTypeId.Date or CqlTypeId.Counter:
                return ((IComparable)CqlCodec.Decode(type, a)).CompareTo(CqlCodec.Decode(type, b));
            case CqlTypeId.Decimal:
                var x = (CqlDecimal)CqlCodec.Decode(type, a);
                var y = (CqlDecimal)CqlCodec.Decode(type, b);
                var scale = Math.Max(x.Scale, y.Scale);
                return (x.Unscaled * BigInteger.Pow(10, scale - x.Scale)).CompareTo(y.Unscaled * BigInteger.Pow(10, scale - y.Scale));
            default:
                return CompareBytes(a, b);
        }
    }

    public static int CompareClustering(IReadOnlyList<CqlType> types, byte[][] a, byte[][] b)
    {
        for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
        {
            var c = Compare(types[i], a[i], b[i]);
            if (c != 0)
            {
                return c;
            }
        }

        return a.Length.CompareTo(b.Length);
    }

    /// <summary>The serialized partition key: the value itself, or for a composite key each part as [short] length, bytes, 0.</summary>
    public static byte[] RoutingKey(byte[][] parts)
    {
        if (parts.Length == 1)
        {
            return parts[0];
        }

        var w = new ProtocolWriter();
        foreach (var part in parts)
        {
            w.ShortBytes(part);
            w.Byte(0);
        }

        return w.ToArray();
    }

    /// <summary>Partitions in token order; the token here is a 64-bit FNV-1a hash of the routing key (Cassandra's is Murmur3).</summary>
    public static int CompareTokens(byte[] a, byte[] b)
    {
        var c = Token(a).CompareTo(Token(b));
        return c != 0 ? c : CompareBytes(a, b);
    }

    private static long Token(byte[] key)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in key)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return unchecked((long)hash);
    }

    public static string Render(CqlType type, bool frozen)
    {
        var text = type.Id switch
        {
            CqlTypeId.List => $"list<{Render(type.Elements[0], IsCollection(type.Elements[0]))}>",
            CqlTypeId.Set => $"set<{Render(type.Elements[0], IsCollection(type.Elements[0]))}>",
            CqlTypeId.Map => $"map<{Render(type.Elements[0], IsCollection(type.Elements[0]))}, {Render(type.Elements[1], IsCollection(type.Elements[1]))}>",
            _ => type.ToString(),
        };
        return frozen ? $"frozen<{text}>" : text;
    }

    public static bool IsCollection(CqlType type) => type.Id is CqlTypeId.List or CqlTypeId.Set or CqlTypeId.Map;

    /// <summary>A set's elements or a map's entries sorted by key without duplicates, as Cassandra stores them.</summary>
    public static byte[] Normalize(CqlType type, byte[] value)
    {
        if (type.Id is not (CqlTypeId.Set or CqlTypeId.Map))
        {
            return value;
        }

        var r = new ProtocolReader(value);
        var count = r.Int();
        var entries = new List<(byte[] Key, byte[]? Value)>();
        for (var i = 0; i < count; i++)
        {
            var key = r.Bytes() ?? throw NodeException.Invalid("null is not supported inside collections");
            entries.Add((key, type.Id == CqlTypeId.Map ? r.Bytes() : null));
        }

        var sorted = new List<(byte[] Key, byte[]? Value)>();
        foreach (var entry in entries.OrderBy(e => e.Key, Comparer<byte[]>.Create((a, b) => Compare(type.Elements[0], a, b))))
        {
            if (sorted.Count > 0 && Compare(type.Elements[0], sorted[^1].Key, entry.Key) == 0)
            {
                sorted[^1] = entry;
            }
            else
            {
                sorted.Add(entry);
            }
        }

        var w = new ProtocolWriter();
        w.Int(sorted.Count);
        foreach (var (key, item) in sorted)
        {
            w.Bytes(key);
            if (type.Id == CqlTypeId.Map)
            {
                w.Bytes(item, item is null);
            }
        }

        return w.ToArray();
    }
}
