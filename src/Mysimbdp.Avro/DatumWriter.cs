using System.Collections;

namespace Mysimbdp.Avro;

/// <summary>
/// Encodes generic datums (see <see cref="GenericRecord"/> for the data model). A union's branch is chosen
/// by the value: null, then the matching primitive (an int fits int, then long, float, double), the record,
/// enum or fixed of the same name, a byte[] for bytes or a fixed of its size, a string for string or an
/// enum holding that symbol, a list for an array, a dictionary for a map.
/// </summary>
public static class DatumWriter
{
    private const int MaxDepth = 512;

    public static byte[] Encode(Schema schema, object? value)
    {
        var encoder = new BinaryEncoder();
        Write(schema, value, encoder);
        return encoder.ToArray();
    }

    public static void Write(Schema schema, object? value, BinaryEncoder encoder) => Write(schema, value, encoder, 0);

    private static void Write(Schema schema, object? value, BinaryEncoder e, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new AvroDataException($"The value is nested more than {MaxDepth} levels deep.");
        }

        switch (schema.Kind)
        {
            case SchemaKind.Null:
                if (value is not null)
                {
                    throw Mismatch(schema, value);
                }

                break;
            case SchemaKind.Boolean: e.WriteBoolean(value is bool b ? b : throw Mismatch(schema, value)); break;
            case SchemaKind.Int:
                e.WriteInt(value switch
                {
                    int i => i,
                    long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
                    short s => s,
                    byte y => y,
                    _ => throw Mismatch(schema, value),
                });
                break;
            case SchemaKind.Long: e.WriteLong(value switch { long l => l, int i => i, short s => s, byte y => y, _ => throw Mismatch(schema, value) }); break;
            case SchemaKind.Float: e.WriteFloat(value switch { float f => f, int i => i, long l => l, _ => throw Mismatch(schema, value) }); break;
            case SchemaKind.Double: e.WriteDouble(value switch { double d => d, float f => f, int i => i, long l => l, _ => throw Mismatch(schema, value) }); break;
            case SchemaKind.Bytes: e.WriteBytes(value is byte[] bytes ? bytes : throw Mismatch(schema, value)); break;
            case SchemaKind.String: e.WriteString(value is string s1 ? s1 : throw Mismatch(schema, value)); break;
            case SchemaKind.Fixed:
                var fixedSchema = (FixedSchema)schema;
                var fixedBytes = value switch
                {
                    GenericFixed f when f.Schema.FullName == fixedSchema.FullName => f.Value,
                    byte[] raw when raw.Length == fixedSchema.Size => raw,
                    _ => throw Mismatch(schema, value),
                };
                e.WriteFixed(fixedBytes);
                break;
            case SchemaKind.Enum:
                var enumSchema = (EnumSchema)schema;
                var symbol = value switch { GenericEnumSymbol g => g.Symbol, string text => text, _ => throw Mismatch(schema, value) };
                var index = enumSchema.IndexOf(symbol);
                e.WriteInt(index >= 0 ? index : throw new AvroDataException($"'{symbol}' is not a symbol of enum {enumSchema.FullName}."));
                break;
            case SchemaKind.Record:
                var record = (RecordSchema)schema;
                if (value is not GenericRecord g2 || g2.Schema.Fields.Count != record.Fields.Count)
                {
                    throw Mismatch(schema, value);
                }

                for (var i = 0; i < record.Fields.Count; i++)
                {
                    try
                    {
                        Write(record.Fields[i].Schema, g2.Values[i], e, depth + 1);
                    }
                    catch (AvroDataException ex) when (depth == 0)
                    {
                        throw new AvroDataException($"Field '{record.Fields[i].Name}': {ex.Message}", ex);
                    }
                }

                break;
            case SchemaKind.Array:
                var items = ((ArraySchema)schema).Items;
                if (value is not IList list)
                {
                    throw Mismatch(schema, value);
                }

                if (list.Count > 0)
                {
                    e.WriteLong(list.Count);
                    foreach (var item in list)
                    {
                        Write(items, item, e, depth + 1);
                    }
                }

                e.WriteLong(0);
                break;
            case SchemaKind.Map:
                var values = ((MapSchema)schema).Values;
                if (value is not IDictionary<string, object?> map)
                {
                    throw Mismatch(schema, value);
                }

                if (map.Count > 0)
                {
                    e.WriteLong(map.Count);
                    foreach (var (key, item) in map)
                    {
                        e.WriteString(key);
                        Write(values, item, e, depth + 1);
                    }
                }

                e.WriteLong(0);
                break;
            case SchemaKind.Union:
                var union = (UnionSchema)schema;
                var branch = BranchOf(union, value);
                e.WriteInt(branch);
                Write(union.Branches[branch], value, e, depth + 1);
                break;
        }
    }

    /// <summary>The union branch a value is written as; throws when none fits.</summary>
    public static int BranchOf(UnionSchema union, object? value)
    {
        var branches = union.Branches;
        int Find(Func<Schema, bool> predicate)
        {
            for (var i = 0; i < branches.Count; i++)
            {
                if (predicate(branches[i]))
                {
                    return i;
                }
            }

            return -1;
        }

        int FindKind(params SchemaKind[] kinds)
        {
            foreach (var kind in kinds)
            {
                var i = Find(b => b.Kind == kind);
                if (i >= 0)
                {
                    return i;
                }
            }

            return -1;
        }

        var index = value switch
        {
            null => FindKind(SchemaKind.Null),
            bool => FindKind(SchemaKind.Boolean),
            int => FindKind(SchemaKind.Int, SchemaKind.Long, SchemaKind.Float, SchemaKind.Double),
            long => FindKind(SchemaKind.Long, SchemaKind.Float, SchemaKind.Double),
            float => FindKind(SchemaKind.Float, SchemaKind.Double),
            double => FindKind(SchemaKind.Double),
            byte[] bytes => FindKind(SchemaKind.Bytes) is var bi and >= 0 ? bi : Find(b => b is FixedSchema f && f.Size == bytes.Length),
            string s => FindKind(SchemaKind.String) is var si and >= 0 ? si : Find(b => b is EnumSchema en && en.IndexOf(s) >= 0),
            GenericRecord r => Find(b => b is RecordSchema rs && rs.FullName == r.Schema.FullName),
            GenericEnumSymbol g => Find(b => b is EnumSchema es && es.FullName == g.Schema.FullName),
            GenericFixed f => Find(b => b is FixedSchema fs && fs.FullName == f.Schema.FullName),
            IDictionary<string, object?> => FindKind(SchemaKind.Map),
            IList => FindKind(SchemaKind.Array),
            _ => -1,
        };
        return index >= 0
            ? index
            : throw new AvroDataException($"A value of type {value?.GetType().Name ?? "null"} matches no branch of union {union.CanonicalForm}.");
    }

    private static AvroDataException Mismatch(Schema schema, object? value) =>
        new($"A value of type {value?.GetType().Name ?? "null"} cannot be written as {schema.DisplayName}.");
}
