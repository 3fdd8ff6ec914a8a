namespace Mysimbdp.Avro;

/// <summary>
/// A record value in the generic data model. Values follow the model of <see cref="DatumWriter"/>: null,
/// bool, int, long, float, double, byte[] (bytes), string, <see cref="GenericRecord"/>, <see cref="GenericEnumSymbol"/>,
/// <see cref="GenericFixed"/>, IList&lt;object?&gt; (array), IDictionary&lt;string, object?&gt; (map).
/// Logical types keep their underlying representation (a date is its int).
/// </summary>
public sealed class GenericRecord : IEquatable<GenericRecord>
{
    public GenericRecord(RecordSchema schema, object?[]? values = null)
    {
        Schema = schema;
        Values = values ?? new object?[schema.Fields.Count];
        if (Values.Length != schema.Fields.Count)
        {
            throw new ArgumentException($"Record {schema.FullName} has {schema.Fields.Count} fields, not {Values.Length}.", nameof(values));
        }
    }

    public RecordSchema Schema { get; }

    public object?[] Values { get; }

    public object? this[string field]
    {
        get => Values[(Schema.GetField(field) ?? throw new KeyNotFoundException($"No field '{field}' in {Schema.FullName}.")).Position];
        set => Values[(Schema.GetField(field) ?? throw new KeyNotFoundException($"No field '{field}' in {Schema.FullName}.")).Position] = value;
    }

    public object? this[int position]
    {
        get => Values[position];
        set => Values[position] = value;
    }

    public bool Equals(GenericRecord? other) =>
        other is not null && other.Schema.FullName == Schema.FullName && Values.Length == other.Values.Length
        && Values.Zip(other.Values).All(p => DatumEquality.Equal(p.First, p.Second));

    public override bool Equals(object? obj) => Equals(obj as GenericRecord);

    public override int GetHashCode() => Schema.FullName.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => JsonEncoding.ToJson(Schema, this);
}

/// <summary>An enum value: its schema and symbol. Equal to another of the same enum (by full name) and symbol.</summary>
public sealed record GenericEnumSymbol(EnumSchema Schema, string Symbol)
{
    public int Index => Schema.IndexOf(Symbol);

    public bool Equals(GenericEnumSymbol? other) => other is not null && other.Schema.FullName == Schema.FullName && other.Symbol == Symbol;

    public override int GetHashCode() => Symbol.GetHashCode(StringComparison.Ordinal);
}

/// <summary>A fixed value: its schema and bytes.</summary>
public sealed class GenericFixed(FixedSchema schema, byte[] value) : IEquatable<GenericFixed>
{
    public FixedSchema Schema { get; } = schema;

    public byte[] Value { get; } = value.Length == schema.Size
        ? value
        : throw new ArgumentException($"Fixed {schema.FullName} holds {schema.Size} bytes, not {value.Length}.", nameof(value));

    public bool Equals(GenericFixed? other) => other is not null && other.Schema.FullName == Schema.FullName && other.Value.AsSpan().SequenceEqual(Value);

    public override bool Equals(object? obj) => Equals(obj as GenericFixed);

    public override int GetHashCode() => Value.Length;
}

/// <summary>Deep equality over generic datums (arrays, maps and bytes by content).</summary>
public static class DatumEquality
{
    public static bool Equal(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (null, _) or (_, null) => false,
        (byte[] x, byte[] y) => x.AsSpan().SequenceEqual(y),
        (float x, float y) => x.Equals(y),
        (double x, double y) => x.Equals(y),
        (IDictionary<string, object?> x, IDictionary<string, object?> y) =>
            x.Count == y.Count && x.All(p => y.TryGetValue(p.Key, out var v) && Equal(p.Value, v)),
        (IList<object?> x, IList<object?> y) => x.Count == y.Count && x.Zip(y).All(p => Equal(p.First, p.Second)),
        _ => a.Equals(b),
    };
}
