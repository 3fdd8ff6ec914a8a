using System.Text.Json;

namespace Mysimbdp.Avro;

/// <summary>The kind of an Avro schema: the eight primitives and the six complex types.</summary>
public enum SchemaKind
{
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes,
    String,
    Record,
    Enum,
    Array,
    Map,
    Union,
    Fixed,
}

/// <summary>
/// A parsed Avro schema. Instances are immutable once parsing has finished; named types are shared
/// between all the places that reference them, so a recursive record is a cyclic graph.
/// </summary>
public abstract class Schema
{
    private string? _canonical;

    private protected Schema(SchemaKind kind, LogicalType? logicalType, IReadOnlyDictionary<string, JsonElement>? properties)
    {
        Kind = kind;
        LogicalType = logicalType;
        Properties = properties ?? EmptyProperties;
    }

    internal static readonly IReadOnlyDictionary<string, JsonElement> EmptyProperties = new Dictionary<string, JsonElement>();

    public SchemaKind Kind { get; }

    /// <summary>The logical type annotating this schema, when it is a valid one; otherwise null.</summary>
    public LogicalType? LogicalType { get; }

    /// <summary>Attributes the specification does not define (kept as metadata, never affecting the data).</summary>
    public IReadOnlyDictionary<string, JsonElement> Properties { get; }

    /// <summary>True for the eight primitive kinds.</summary>
    public bool IsPrimitive => Kind <= SchemaKind.String;

    /// <summary>The Parsing Canonical Form of this schema (specification, "Parsing Canonical Form for Schemas").</summary>
    public string CanonicalForm => _canonical ??= Avro.CanonicalForm.Write(this);

    /// <summary>The CRC-64-AVRO (Rabin) fingerprint of the canonical form.</summary>
    public long Fingerprint64 => Rabin.Fingerprint64(CanonicalForm);

    /// <summary>The name used for this schema inside a union's JSON encoding and in messages.</summary>
    public virtual string DisplayName => KindName(Kind);

    /// <summary>Parses a schema from JSON text; throws <see cref="SchemaParseException"/> listing every problem.</summary>
    public static Schema Parse(string json, SchemaParseOptions? options = null) =>
        SchemaParser.Parse(json, options ?? SchemaParseOptions.Lenient);

    /// <summary>Parses a schema from a JSON element; throws <see cref="SchemaParseException"/> listing every problem.</summary>
    public static Schema Parse(JsonElement json, SchemaParseOptions? options = null) =>
        SchemaParser.Parse(json, options ?? SchemaParseOptions.Lenient);

    /// <summary>The full JSON form, with docs, aliases, defaults and extra attributes.</summary>
    public string ToJson() => SchemaJsonWriter.Write(this);

    public override string ToString() => ToJson();

    public static string KindName(SchemaKind kind) => kind switch
    {
        SchemaKind.Null => "null",
        SchemaKind.Boolean => "boolean",
        SchemaKind.Int => "int",
        SchemaKind.Long => "long",
        SchemaKind.Float => "float",
        SchemaKind.Double => "double",
        SchemaKind.Bytes => "bytes",
        SchemaKind.String => "string",
        SchemaKind.Record => "record",
        SchemaKind.Enum => "enum",
        SchemaKind.Array => "array",
        SchemaKind.Map => "map",
        SchemaKind.Union => "union",
        SchemaKind.Fixed => "fixed",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    internal static SchemaKind? PrimitiveKind(string name) => name switch
    {
        "null" => SchemaKind.Null,
        "boolean" => SchemaKind.Boolean,
        "int" => SchemaKind.Int,
        "long" => SchemaKind.Long,
        "float" => SchemaKind.Float,
        "double" => SchemaKind.Double,
        "bytes" => SchemaKind.Bytes,
        "string" => SchemaKind.String,
        _ => null,
    };
}

/// <summary>One of the eight primitive types, possibly annotated with a logical type.</summary>
public sealed class PrimitiveSchema : Schema
{
    private static readonly PrimitiveSchema[] Plain =
        Enumerable.Range(0, (int)SchemaKind.String + 1).Select(k => new PrimitiveSchema((SchemaKind)k, null, null)).ToArray();

    private PrimitiveSchema(SchemaKind kind, LogicalType? logicalType, IReadOnlyDictionary<string, JsonElement>? properties)
        : base(kind, logicalType, properties)
    {
    }

    /// <summary>The shared instance of a plain primitive.</summary>
    public static PrimitiveSchema Of(SchemaKind kind) =>
        kind <= SchemaKind.String ? Plain[(int)kind] : throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a primitive kind");

    public static PrimitiveSchema Create(SchemaKind kind, LogicalType? logicalType, IReadOnlyDictionary<string, JsonElement>? properties = null) =>
        logicalType is null && (properties is null || properties.Count == 0) ? Of(kind) : new PrimitiveSchema(kind, logicalType, properties);
}

/// <summary>An array whose items all follow <see cref="Items"/>.</summary>
public sealed class ArraySchema(Schema items, IReadOnlyDictionary<string, JsonElement>? properties = null)
    : Schema(SchemaKind.Array, null, properties)
{
    public Schema Items { get; } = items;
}

/// <summary>A map from strings to values that follow <see cref="Values"/>.</summary>
public sealed class MapSchema(Schema values, IReadOnlyDictionary<string, JsonElement>? properties = null)
    : Schema(SchemaKind.Map, null, properties)
{
    public Schema Values { get; } = values;
}

/// <summary>A union of branches; a value is written as its branch index and then the branch's encoding.</summary>
public sealed class UnionSchema(IReadOnlyList<Schema> branches) : Schema(SchemaKind.Union, null, null)
{
    public IReadOnlyList<Schema> Branches { get; } = branches;

    /// <summary>The non-null branch of a two-branch union with null (the "nullable" idiom), else null.</summary>
    public Schema? NullableOf =>
        Branches.Count == 2 && Branches[0].Kind == SchemaKind.Null ? Branches[1]
        : Branches.Count == 2 && Branches[1].Kind == SchemaKind.Null ? Branches[0]
        : null;

    /// <summary>The index of the null branch, or -1.</summary>
    public int NullIndex
    {
        get
        {
            for (var i = 0; i < Branches.Count; i++)
            {
                if (Branches[i].Kind == SchemaKind.Null)
                {
                    return i;
                }
            }

            return -1;
        }
    }
}
