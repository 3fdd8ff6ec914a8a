namespace Mysimbdp.Avro;

/// <summary>
/// Decodes datums written with <see cref="WriterSchema"/> into the generic data model of
/// <see cref="ReaderSchema"/>, resolving the two as the specification describes.
/// </summary>
public sealed class DatumReader
{
    /// <summary>Arrays and maps whose items take no bytes (nulls, empty records) may hold at most this many items.</summary>
    public const long MaxZeroByteItems = 100_000;

    private const int MaxDepth = 512;
    private readonly Reading _reading;

    public DatumReader(Schema writerSchema, Schema? readerSchema = null)
    {
        WriterSchema = writerSchema;
        ReaderSchema = readerSchema ?? writerSchema;
        _reading = Resolver.Resolve(WriterSchema, ReaderSchema);
    }

    public Schema WriterSchema { get; }

    public Schema ReaderSchema { get; }

    public object? Read(ReadOnlySpan<byte> data)
    {
        var decoder = new BinaryDecoder(data);
        var value = Read(ref decoder);
        return decoder.AtEnd ? value : throw new AvroDataException($"{decoder.Remaining} bytes are left after the datum.");
    }

    public object? Read(ref BinaryDecoder decoder) => Read(_reading, ref decoder, 0);

    internal static object? Read(Reading reading, ref BinaryDecoder d, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new AvroDataException($"The data is nested more than {MaxDepth} levels deep.");
        }

        switch (reading)
        {
            case Reading.Primitive p:
                return ReadPrimitive(p.Writer, p.Reader, ref d);
            case Reading.Record r:
                var values = new object?[r.Reader.Fields.Count];
                foreach (var (target, read, writer) in r.Fields)
                {
                    if (target < 0)
                    {
                        Skip(writer, ref d, depth + 1);
                    }
                    else
                    {
                        values[target] = Read(read!, ref d, depth + 1);
                    }
                }

                foreach (var (target, value) in r.Defaults)
                {
                    values[target] = Copy(value);
                }

                return new GenericRecord(r.Reader, values);
            case Reading.Enum e:
                return new GenericEnumSymbol(e.Reader, e.Reader.Symbols[EnumIndex(e, ref d)]);
            case Reading.Fixed f:
                return new GenericFixed(f.Reader, d.ReadFixed(f.Reader.Size).ToArray());
            case Reading.Array a:
                var list = new List<object?>();
                long total = 0;
                for (var count = d.ReadBlockCount(a.MinItemBytes, MaxZeroByteItems); count != 0; count = d.ReadBlockCount(a.MinItemBytes, MaxZeroByteItems))
                {
                    total += count;
                    if (a.MinItemBytes == 0 && total > MaxZeroByteItems)
                    {
                        throw new AvroDataException($"The array holds more than {MaxZeroByteItems} items that take no bytes.");
                    }

                    for (long i = 0; i < count; i++)
                    {
                        list.Add(Read(a.Items, ref d, depth + 1));
                    }
                }

                return list;
            case Reading.Map m:
                var map = new Dictionary<string, object?>(StringComparer.Ordinal);
                for (var count = d.ReadBlockCount(m.MinItemBytes, MaxZeroByteItems); count != 0; count = d.ReadBlockCount(m.MinItemBytes, MaxZeroByteItems))
                {
                    for (long i = 0; i < count; i++)
                    {
                        var key = d.ReadString();
                        map[key] = Read(m.Values, ref d, depth + 1);
                    }
                }

                return map;
            case Reading.WriterUnion u:
                return Read(u.Branches[UnionIndex(u, ref d)], ref d, depth + 1);
            case Reading.Fail f:
                throw new AvroDataException(f.Message);
            default:
                throw new InvalidOperationException(reading.GetType().Name);
        }
    }

    internal static int UnionIndex(Reading.WriterUnion u, ref BinaryDecoder d)
    {
        var at = d.Position;
        var index = d.ReadLong();
        return index >= 0 && index < u.Branches.Length
            ? (int)index
            : throw new AvroDataException($"Union index {index} at byte {at} is out of range (the union has {u.Branches.Length} branches).");
    }

    internal static int EnumIndex(Reading.Enum e, ref BinaryDecoder d)
    {
        var at = d.Position;
        var index = d.ReadLong();
        if (index < 0 || index >= e.SymbolMap.Length)
        {
            throw new AvroDataException($"Enum index {index} at byte {at} is out of range ({e.Writer.FullName} has {e.SymbolMap.Length} symbols).");
        }

        var mapped = e.SymbolMap[index];
        return mapped >= 0
            ? mapped
            : throw new AvroDataException($"Symbol '{e.Writer.Symbols[(int)index]}' is not in the reader's enum {e.Reader.FullName}, which has no default.");
    }

    /// <summary>Each arm is boxed on its own: a switch expression over mixed numeric types would convert them all to double.</summary>
    private static object? ReadPrimitive(SchemaKind writer, SchemaKind reader, ref BinaryDecoder d)
    {
        switch (writer)
        {
            case SchemaKind.Null: return null;
            case SchemaKind.Boolean: return d.ReadBoolean();
            case SchemaKind.Int:
                var i = d.ReadInt();
                return reader switch
                {
                    SchemaKind.Long => (object)(long)i,
                    SchemaKind.Float => (float)i,
                    SchemaKind.Double => (double)i,
                    _ => i,
                };
            case SchemaKind.Long:
                var l = d.ReadLong();
                return reader switch
                {
                    SchemaKind.Float => (object)(float)l,
                    SchemaKind.Double => (double)l,
                    _ => l,
                };
            case SchemaKind.Float:
                var f = d.ReadFloat();
                return reader == SchemaKind.Double ? (object)(double)f : f;
            case SchemaKind.Double: return d.ReadDouble();
            case SchemaKind.Bytes: return reader == SchemaKind.String ? System.Text.Encoding.UTF8.GetString(d.ReadBytesSpan()) : d.ReadBytes();
            case SchemaKind.String: return reader == SchemaKind.Bytes ? d.ReadBytes() : d.ReadString();
            default: throw new InvalidOperationException(writer.ToString());
        }
    }

    /// <summary>Skips a value written with <paramref name="schema"/>.</summary>
    internal static void Skip(Schema schema, ref BinaryDecoder d, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new AvroDataException($"The data is nested more than {MaxDepth} levels deep.");
        }

        switch (schema)
        {
            case RecordSchema r:
                foreach (var field in r.Fields)
                {
                    Skip(field.Schema, ref d, depth + 1);
                }

                return;
            case FixedSchema f: d.ReadFixed(f.Size); return;
            case EnumSchema: d.ReadLong(); return;
            case ArraySchema a:
                var itemBytes = Reading.MinBytes(a.Items);
                for (var count = d.ReadBlockCount(itemBytes, MaxZeroByteItems); count != 0; count = d.ReadBlockCount(itemBytes, MaxZeroByteItems))
                {
                    for (long i = 0; i < count; i++)
                    {
                        Skip(a.Items, ref d, depth + 1);
                    }
                }

                return;
            case MapSchema m:
                var entryBytes = 1 + Reading.MinBytes(m.Values);
                for (var count = d.ReadBlockCount(entryBytes, MaxZeroByteItems); count != 0; count = d.ReadBlockCount(entryBytes, MaxZeroByteItems))
                {
                    for (long i = 0; i < count; i++)
                    {
                        d.ReadBytesSpan();
                        Skip(m.Values, ref d, depth + 1);
                    }
                }

                return;
            case UnionSchema u:
                var at = d.Position;
                var index = d.ReadLong();
                if (index < 0 || index >= u.Branches.Count)
                {
                    throw new AvroDataException($"Union index {index} at byte {at} is out of range (the union has {u.Branches.Count} branches).");
                }

                Skip(u.Branches[(int)index], ref d, depth + 1);
                return;
        }

        switch (schema.Kind)
        {
            case SchemaKind.Null: return;
            case SchemaKind.Boolean: d.ReadBoolean(); return;
            case SchemaKind.Int or SchemaKind.Long: d.ReadLong(); return;
            case SchemaKind.Float: d.ReadFloat(); return;
            case SchemaKind.Double: d.ReadDouble(); return;
            default: d.ReadBytesSpan(); return;
        }
    }

    /// <summary>Defaults are shared by every datum read, so mutable ones are copied.</summary>
    private static object? Copy(object? value) => value switch
    {
        GenericRecord r => new GenericRecord(r.Schema, r.Values.Select(Copy).ToArray()),
        List<object?> l => l.Select(Copy).ToList(),
        Dictionary<string, object?> m => m.ToDictionary(p => p.Key, p => Copy(p.Value), StringComparer.Ordinal),
        byte[] b => b.ToArray(),
        _ => value,
    };
}
