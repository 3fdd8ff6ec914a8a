using System.Text.Json;

namespace Mysimbdp.Avro;

/// <summary>A record, enum or fixed: a schema with a full name that other schemas can reference.</summary>
public abstract class NamedSchema : Schema
{
    private protected NamedSchema(
        SchemaKind kind, SchemaName name, IReadOnlyList<SchemaName> aliases, string? doc,
        LogicalType? logicalType, IReadOnlyDictionary<string, JsonElement>? properties)
        : base(kind, logicalType, properties)
    {
        SchemaName = name;
        Aliases = aliases;
        Doc = doc;
    }

    public SchemaName SchemaName { get; }

    /// <summary>The unqualified name.</summary>
    public string Name => SchemaName.Name;

    /// <summary>The namespace, or the empty string for the null namespace.</summary>
    public string Namespace => SchemaName.Namespace;

    public string FullName => SchemaName.FullName;

    /// <summary>Aliases, already qualified by this schema's namespace where they were relative.</summary>
    public IReadOnlyList<SchemaName> Aliases { get; }

    public string? Doc { get; }

    public override string DisplayName => FullName;
}

/// <summary>A qualified Avro name.</summary>
public readonly record struct SchemaName(string Name, string Namespace)
{
    public string FullName => Namespace.Length == 0 ? Name : Namespace + "." + Name;

    /// <summary>Resolves a name as written in a schema against the enclosing namespace.</summary>
    public static SchemaName Resolve(string written, string enclosingNamespace)
    {
        var dot = written.LastIndexOf('.');
        return dot < 0
            ? new SchemaName(written, enclosingNamespace)
            : new SchemaName(written[(dot + 1)..], written[..dot]);
    }

    public override string ToString() => FullName;
}

/// <summary>How a record field orders values when records are compared.</summary>
public enum FieldOrder
{
    Ascending,
    Descending,
    Ignore,
}

/// <summary>A field of a record.</summary>
public sealed class Field
{
    public Field(string name, Schema schema, int position, JsonElement? defaultValue = null, string? doc = null,
        IReadOnlyList<string>? aliases = null, FieldOrder order = FieldOrder.Ascending,
        IReadOnlyDictionary<string, JsonElement>? properties = null)
    {
        Name = name;
        Schema = schema;
        Position = position;
        Default = defaultValue;
        Doc = doc;
        Aliases = aliases ?? [];
        Order = order;
        Properties = properties ?? Schema.EmptyProperties;
    }

    public string Name { get; }

    public Schema Schema { get; }

    /// <summary>Zero-based position in the record; the binary encoding follows this order.</summary>
    public int Position { get; }

    /// <summary>The default as JSON (specification's "field default values"), or null when the field has none.</summary>
    public JsonElement? Default { get; }

    public string? Doc { get; }

    public IReadOnlyList<string> Aliases { get; }

    public FieldOrder Order { get; }

    public IReadOnlyDictionary<string, JsonElement> Properties { get; }

    public override string ToString() => $"{Name}: {Schema.DisplayName}";
}

/// <summary>A record: named, with fields encoded in declaration order.</summary>
public sealed class RecordSchema : NamedSchema
{
    private IReadOnlyList<Field> _fields = [];
    private Dictionary<string, Field> _byName = [];

    public RecordSchema(SchemaName name, IReadOnlyList<SchemaName>? aliases = null, string? doc = null,
        IReadOnlyDictionary<string, JsonElement>? properties = null, bool isError = false)
        : base(SchemaKind.Record, name, aliases ?? [], doc, null, properties)
    {
        IsError = isError;
    }

    /// <summary>True when declared with type "error" (protocol errors); encoded exactly like a record.</summary>
    public bool IsError { get; }

    public IReadOnlyList<Field> Fields => _fields;

    public Field? GetField(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Sets the fields once; records are created before their fields so that they can refer to themselves.</summary>
    public void SetFields(IReadOnlyList<Field> fields)
    {
        if (_fields.Count > 0)
        {
            throw new InvalidOperationException($"The fields of record '{FullName}' are already set.");
        }

        _fields = fields;
        _byName = new Dictionary<string, Field>(fields.Count, StringComparer.Ordinal);
        foreach (var field in fields)
        {
            _byName.TryAdd(field.Name, field);
        }
    }
}

/// <summary>An enum: named, encoded as the zero-based index of its symbol.</summary>
public sealed class EnumSchema : NamedSchema
{
    private readonly Dictionary<string, int> _indexes;

    public EnumSchema(SchemaName name, IReadOnlyList<string> symbols, string? defaultSymbol = null,
        IReadOnlyList<SchemaName>? aliases = null, string? doc = null, IReadOnlyDictionary<string, JsonElement>? properties = null)
        : base(SchemaKind.Enum, name, aliases ?? [], doc, null, properties)
    {
        Symbols = symbols;
        Default = defaultSymbol;
        _indexes = new Dictionary<string, int>(symbols.Count, StringComparer.Ordinal);
        for (var i = 0; i < symbols.Count; i++)
        {
            _indexes.TryAdd(symbols[i], i);
        }
    }

    public IReadOnlyList<string> Symbols { get; }

    /// <summary>The symbol used when a writer's symbol is unknown to this (reader's) enum.</summary>
    public string? Default { get; }

    /// <summary>The index of a symbol, or -1.</summary>
    public int IndexOf(string symbol) => _indexes.GetValueOrDefault(symbol, -1);

    public int IndexOf(ReadOnlySpan<char> symbol) =>
        _indexes.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(symbol, out var i) ? i : -1;
}

/// <summary>A fixed: named, exactly <see cref="Size"/> bytes.</summary>
public sealed class FixedSchema(SchemaName name, int size, LogicalType? logicalType = null,
    IReadOnlyList<SchemaName>? aliases = null, string? doc = null, IReadOnlyDictionary<string, JsonElement>? properties = null)
    : NamedSchema(SchemaKind.Fixed, name, aliases ?? [], doc, logicalType, properties)
{
    public int Size { get; } = size;
}
