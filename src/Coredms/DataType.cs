namespace Coredms;

/// <summary>The column types coredms stores: the CQL types the Avro mapping and the catalog need.</summary>
public enum DataTypeKind
{
    Boolean,
    Int,
    BigInt,
    VarInt,
    Float,
    Double,
    Decimal,
    Text,
    Blob,
    Uuid,
    Timestamp,
    Date,
    Time,
    List,
    Set,
    Map,
}

/// <summary>How a value of a type sits in a <see cref="RowBatch"/> cell.</summary>
public enum ValueStorage
{
    /// <summary>A 64-bit integer: boolean (0/1), int, bigint, timestamp (ms since epoch), date (days since epoch), time (ns of day).</summary>
    Int64,

    /// <summary>A double: float and double.</summary>
    Double,

    /// <summary>UTF-8 text: text, uuid (canonical form), decimal and varint (decimal digits), collections (JSON).</summary>
    Text,

    /// <summary>Raw bytes: blob.</summary>
    Blob,
}

/// <summary>A column type; collections carry their element (and key) types.</summary>
public sealed record DataType(DataTypeKind Kind, DataType? Element = null, DataType? Key = null)
{
    public static readonly DataType Boolean = new(DataTypeKind.Boolean);
    public static readonly DataType Int = new(DataTypeKind.Int);
    public static readonly DataType BigInt = new(DataTypeKind.BigInt);
    public static readonly DataType VarInt = new(DataTypeKind.VarInt);
    public static readonly DataType Float = new(DataTypeKind.Float);
    public static readonly DataType Double = new(DataTypeKind.Double);
    public static readonly DataType Decimal = new(DataTypeKind.Decimal);
    public static readonly DataType Text = new(DataTypeKind.Text);
    public static readonly DataType Blob = new(DataTypeKind.Blob);
    public static readonly DataType Uuid = new(DataTypeKind.Uuid);
    public static readonly DataType Timestamp = new(DataTypeKind.Timestamp);
    public static readonly DataType Date = new(DataTypeKind.Date);
    public static readonly DataType Time = new(DataTypeKind.Time);

    public static DataType ListOf(DataType element) => new(DataTypeKind.List, element);

    public static DataType SetOf(DataType element) => new(DataTypeKind.Set, element);

    public static DataType MapOf(DataType key, DataType value) => new(DataTypeKind.Map, value, key);

    public ValueStorage Storage => Kind switch
    {
        DataTypeKind.Boolean or DataTypeKind.Int or DataTypeKind.BigInt or DataTypeKind.Timestamp
            or DataTypeKind.Date or DataTypeKind.Time => ValueStorage.Int64,
        DataTypeKind.Float or DataTypeKind.Double => ValueStorage.Double,
        DataTypeKind.Blob => ValueStorage.Blob,
        _ => ValueStorage.Text,
    };

    public bool IsCollection => Kind is DataTypeKind.List or DataTypeKind.Set or DataTypeKind.Map;

    /// <summary>The CQL spelling, e.g. <c>map&lt;text, bigint&gt;</c>.</summary>
    public override string ToString() => Kind switch
    {
        DataTypeKind.List => $"list<{Element}>",
        DataTypeKind.Set => $"set<{Element}>",
        DataTypeKind.Map => $"map<{Key}, {Element}>",
        _ => Kind.ToString().ToLowerInvariant(),
    };

    /// <summary>Parses the CQL spelling produced by <see cref="ToString"/>.</summary>
    public static DataType Parse(string cql)
    {
        var text = cql.Trim();
        var open = text.IndexOf('<');
        if (open < 0)
        {
            return Enum.TryParse<DataTypeKind>(text, ignoreCase: true, out var kind) && kind is not (DataTypeKind.List or DataTypeKind.Set or DataTypeKind.Map)
                ? new DataType(kind)
                : throw new FormatException($"unknown type '{cql}'");
        }

        var outer = text[..open].Trim();
        var inner = text[(open + 1)..^1];
        switch (outer)
        {
            case "list": return ListOf(Parse(inner));
            case "set": return SetOf(Parse(inner));
            case "map":
                var depth = 0;
                for (var i = 0; i < inner.Length; i++)
                {
                    depth += inner[i] == '<' ? 1 : inner[i] == '>' ? -1 : 0;
                    if (inner[i] == ',' && depth == 0)
                    {
                        return MapOf(Parse(inner[..i]), Parse(inner[(i + 1)..]));
                    }
                }

                break;
        }

        throw new FormatException($"unknown type '{cql}'");
    }
}
