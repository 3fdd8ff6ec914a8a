using System.Text.Unicode;

namespace Mysimbdp.Avro;

/// <summary>
/// Receives one record's fields as they are decoded, by the reader's field position, without boxing:
/// primitives as values, strings as UTF-8 spans (valid, checked), enums as index and symbol. Arrays, maps,
/// nested records and non-nullable unions of several types arrive as generic datums through <see cref="OnValue"/>.
/// </summary>
public interface IRecordSink
{
    void OnNull(int field);

    void OnBoolean(int field, bool value);

    void OnInt(int field, int value);

    void OnLong(int field, long value);

    void OnFloat(int field, float value);

    void OnDouble(int field, double value);

    void OnBytes(int field, ReadOnlySpan<byte> value);

    void OnString(int field, ReadOnlySpan<byte> utf8);

    void OnEnum(int field, int index, string symbol);

    void OnFixed(int field, ReadOnlySpan<byte> value);

    void OnValue(int field, object? value);
}

/// <summary>
/// Decodes records into an <see cref="IRecordSink"/>: the fast path for records of primitives, with the
/// writer's schema resolved against the reader's once.
/// </summary>
public sealed class RecordDecoder
{
    private readonly Reading.Record _record;

    public RecordDecoder(Schema writer, RecordSchema reader)
    {
        Reader = reader;
        _record = Resolver.Resolve(writer, reader) as Reading.Record
            ?? throw new SchemaResolutionException($"The writer's {writer.DisplayName} is not a record and cannot be read as {reader.FullName}.");
    }

    public RecordSchema Reader { get; }

    public void Read(ref BinaryDecoder d, IRecordSink sink)
    {
        foreach (var (target, read, writer) in _record.Fields)
        {
            if (target < 0)
            {
                DatumReader.Skip(writer, ref d, 1);
            }
            else
            {
                ReadField(target, read!, ref d, sink);
            }
        }

        foreach (var (target, value) in _record.Defaults)
        {
            Deliver(target, value, sink);
        }
    }

    private static void ReadField(int field, Reading read, ref BinaryDecoder d, IRecordSink sink)
    {
        switch (read)
        {
            case Reading.Primitive p:
                switch (p.Writer)
                {
                    case SchemaKind.Null: sink.OnNull(field); return;
                    case SchemaKind.Boolean: sink.OnBoolean(field, d.ReadBoolean()); return;
                    case SchemaKind.Int when p.Reader == SchemaKind.Int: sink.OnInt(field, d.ReadInt()); return;
                    case SchemaKind.Int or SchemaKind.Long when p.Reader == SchemaKind.Long: sink.OnLong(field, d.ReadLong()); return;
                    case SchemaKind.Float when p.Reader == SchemaKind.Float: sink.OnFloat(field, d.ReadFloat()); return;
                    case SchemaKind.Double: sink.OnDouble(field, d.ReadDouble()); return;
                    case SchemaKind.String or SchemaKind.Bytes when p.Reader == SchemaKind.String:
                        var at = d.Position;
                        var utf8 = d.ReadBytesSpan();
                        if (!Utf8.IsValid(utf8))
                        {
                            throw new AvroDataException($"The string at byte {at} is not valid UTF-8.");
                        }

                        sink.OnString(field, utf8);
                        return;
                    case SchemaKind.String or SchemaKind.Bytes: sink.OnBytes(field, d.ReadBytesSpan()); return;
                }

                Deliver(field, DatumReader.Read(read, ref d, 1), sink);
                return;
            case Reading.Enum e:
                var index = DatumReader.EnumIndex(e, ref d);
                sink.OnEnum(field, index, e.Reader.Symbols[index]);
                return;
            case Reading.Fixed f:
                sink.OnFixed(field, d.ReadFixed(f.Reader.Size));
                return;
            case Reading.WriterUnion u:
                ReadField(field, u.Branches[DatumReader.UnionIndex(u, ref d)], ref d, sink);
                return;
            default:
                sink.OnValue(field, DatumReader.Read(read, ref d, 1));
                return;
        }
    }

    /// <summary>Delivers a generic value (a default, or a promoted primitive) through the typed calls where one fits.</summary>
    private static void Deliver(int field, object? value, IRecordSink sink)
    {
        switch (value)
        {
            case null: sink.OnNull(field); break;
            case bool b: sink.OnBoolean(field, b); break;
            case int i: sink.OnInt(field, i); break;
            case long l: sink.OnLong(field, l); break;
            case float f: sink.OnFloat(field, f); break;
            case double x: sink.OnDouble(field, x); break;
            case string s: sink.OnString(field, System.Text.Encoding.UTF8.GetBytes(s)); break;
            case byte[] bytes: sink.OnBytes(field, bytes); break;
            case GenericEnumSymbol e: sink.OnEnum(field, e.Index, e.Symbol); break;
            case GenericFixed x: sink.OnFixed(field, x.Value); break;
            default: sink.OnValue(field, value); break;
        }
    }
}

/// <summary>Supplies one record's fields to <see cref="RecordEncoder"/> by position, without boxing.</summary>
public interface IRecordSource
{
    bool IsNull(int field);

    bool GetBoolean(int field);

    long GetLong(int field);

    double GetDouble(int field);

    /// <summary>UTF-8 for strings and enum symbols; the raw bytes for bytes and fixed.</summary>
    ReadOnlySpan<byte> GetBytes(int field);

    /// <summary>A generic datum, for arrays, maps, records and unions of several non-null types.</summary>
    object? GetValue(int field);
}

/// <summary>Encodes records from an <see cref="IRecordSource"/>; nullable unions and enums need no boxing.</summary>
public sealed class RecordEncoder
{
    private readonly (Schema Schema, int NullBranch, int ValueBranch)[] _fields;
    private readonly Dictionary<string, int>?[] _enumIndexes;

    public RecordEncoder(RecordSchema schema)
    {
        Schema = schema;
        _fields = schema.Fields.Select(f => f.Schema is UnionSchema { NullableOf: { } inner } u
            ? (inner, u.NullIndex, 1 - u.NullIndex)
            : (f.Schema, -1, -1)).ToArray();
        _enumIndexes = _fields.Select(f => f.Schema is EnumSchema e
            ? e.Symbols.Select((s, i) => (s, i)).ToDictionary(p => p.s, p => p.i, StringComparer.Ordinal)
            : null).ToArray();
    }

    public RecordSchema Schema { get; }

    public void Write(IRecordSource source, BinaryEncoder e)
    {
        Span<char> chars = stackalloc char[256];
        for (var i = 0; i < _fields.Length; i++)
        {
            var (schema, nullBranch, valueBranch) = _fields[i];
            if (nullBranch >= 0)
            {
                if (source.IsNull(i))
                {
                    e.WriteInt(nullBranch);
                    continue;
                }

                e.WriteInt(valueBranch);
            }
            else if (source.IsNull(i) && schema.Kind is not (SchemaKind.Null or SchemaKind.Union))
            {
                throw new AvroDataException($"Field '{Schema.Fields[i].Name}' is null but its type {schema.DisplayName} is not nullable.");
            }

            switch (schema.Kind)
            {
                case SchemaKind.Null: break;
                case SchemaKind.Boolean: e.WriteBoolean(source.GetBoolean(i)); break;
                case SchemaKind.Int or SchemaKind.Long: e.WriteLong(source.GetLong(i)); break;
                case SchemaKind.Float: e.WriteFloat((float)source.GetDouble(i)); break;
                case SchemaKind.Double: e.WriteDouble(source.GetDouble(i)); break;
                case SchemaKind.String or SchemaKind.Bytes: e.WriteBytes(source.GetBytes(i)); break;
                case SchemaKind.Fixed: e.WriteFixed(source.GetBytes(i)); break;
                case SchemaKind.Enum:
                    var symbol = source.GetBytes(i);
                    var lookup = _enumIndexes[i]!.GetAlternateLookup<ReadOnlySpan<char>>();
                    var length = symbol.Length <= chars.Length ? System.Text.Encoding.UTF8.GetChars(symbol, chars) : -1;
                    e.WriteInt(length >= 0 && lookup.TryGetValue(chars[..length], out var index)
                        ? index
                        : throw new AvroDataException($"'{System.Text.Encoding.UTF8.GetString(symbol)}' is not a symbol of enum {((EnumSchema)schema).FullName}."));
                    break;
                default: DatumWriter.Write(schema, source.GetValue(i), e); break;
            }
        }
    }
}
