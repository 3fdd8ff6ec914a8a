namespace Cql;

/// <summary>The [option] ids of column types (section 4.2.5.2).</summary>
public enum CqlTypeId : ushort
{
    Custom = 0x0000,
    Ascii = 0x0001,
    BigInt = 0x0002,
    Blob = 0x0003,
    Boolean = 0x0004,
    Counter = 0x0005,
    Decimal = 0x0006,
    Double = 0x0007,
    Float = 0x0008,
    Int = 0x0009,
    Timestamp = 0x000B,
    Uuid = 0x000C,
    Varchar = 0x000D,
    Varint = 0x000E,
    TimeUuid = 0x000F,
    Inet = 0x0010,
    Date = 0x0011,
    Time = 0x0012,
    SmallInt = 0x0013,
    TinyInt = 0x0014,
    List = 0x0020,
    Map = 0x0021,
    Set = 0x0022,
    Udt = 0x0030,
    Tuple = 0x0031,
}

/// <summary>A column type: its id and, for collections, tuples and UDTs, the types inside.</summary>
public sealed record CqlType(CqlTypeId Id, IReadOnlyList<CqlType> Elements, string? Custom = null, IReadOnlyList<string>? FieldNames = null,
    string? Keyspace = null, string? Name = null)
{
    public static CqlType Of(CqlTypeId id) => new(id, []);

    public static CqlType ListOf(CqlType element) => new(CqlTypeId.List, [element]);

    public static CqlType SetOf(CqlType element) => new(CqlTypeId.Set, [element]);

    public static CqlType MapOf(CqlType key, CqlType value) => new(CqlTypeId.Map, [key, value]);

    public static readonly CqlType Text = Of(CqlTypeId.Varchar);
    public static readonly CqlType Int = Of(CqlTypeId.Int);
    public static readonly CqlType BigInt = Of(CqlTypeId.BigInt);
    public static readonly CqlType Double = Of(CqlTypeId.Double);
    public static readonly CqlType Boolean = Of(CqlTypeId.Boolean);
    public static readonly CqlType Blob = Of(CqlTypeId.Blob);
    public static readonly CqlType Timestamp = Of(CqlTypeId.Timestamp);

    /// <summary>Reads an [option] (with the nested options of collections, UDTs and tuples).</summary>
    public static CqlType Read(ref ProtocolReader reader)
    {
        var id = (CqlTypeId)reader.Short();
        switch (id)
        {
            case CqlTypeId.Custom:
                return new CqlType(id, [], reader.String());
            case CqlTypeId.List or CqlTypeId.Set:
                return new CqlType(id, [Read(ref reader)]);
            case CqlTypeId.Map:
                var key = Read(ref reader);
                return new CqlType(id, [key, Read(ref reader)]);
            case CqlTypeId.Udt:
                var keyspace = reader.String();
                var name = reader.String();
                var count = reader.Short();
                var names = new List<string>(count);
                var types = new List<CqlType>(count);
                for (var i = 0; i < count; i++)
                {
                    names.Add(reader.String());
                    types.Add(Read(ref reader));
                }

                return new CqlType(id, types, null, names, keyspace, name);
            case CqlTypeId.Tuple:
                var n = reader.Short();
                var elements = new List<CqlType>(n);
                for (var i = 0; i < n; i++)
                {
                    elements.Add(Read(ref reader));
                }

                return new CqlType(id, elements);
            default:
                if (!Enum.IsDefined(id))
                {
                    throw new CqlProtocolException($"Unknown column type id 0x{(ushort)id:x4}.");
                }

                return Of(id);
        }
    }

    /// <summary>The type as CQL writes it (<c>map&lt;text, int&gt;</c>).</summary>
    public override string ToString() => Id switch
    {
        CqlTypeId.Custom => $"'{Custom}'",
        CqlTypeId.List => $"list<{Elements[0]}>",
        CqlTypeId.Set => $"set<{Elements[0]}>",
        CqlTypeId.Map => $"map<{Elements[0]}, {Elements[1]}>",
        CqlTypeId.Tuple => $"tuple<{string.Join(", ", Elements)}>",
        CqlTypeId.Udt => $"{Keyspace}.{Name}",
        CqlTypeId.Varchar => "text",
        _ => Id.ToString().ToLowerInvariant(),
    };
}
