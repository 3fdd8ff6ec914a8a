namespace Mysimbdp.Avro;

/// <summary>A writer's schema that cannot be read with a reader's schema (specification, "Schema Resolution").</summary>
public sealed class SchemaResolutionException : Exception
{
    public SchemaResolutionException()
    {
    }

    public SchemaResolutionException(string message)
        : base(message)
    {
    }

    public SchemaResolutionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// How to read data written with one schema as another: a tree built once per (writer, reader) pair and then
/// used for every datum. Problems that depend on the data (an enum symbol the reader lacks, a union branch
/// that matches nothing) become <see cref="Fail"/> nodes that throw only if such data actually occurs.
/// </summary>
internal abstract class Reading
{
    /// <summary>Reads the writer's value as the reader's, possibly promoted.</summary>
    internal sealed class Primitive(SchemaKind writer, SchemaKind reader) : Reading
    {
        public SchemaKind Writer { get; } = writer;

        public SchemaKind Reader { get; } = reader;
    }

    internal sealed class Record(RecordSchema reader) : Reading
    {
        public RecordSchema Reader { get; } = reader;

        /// <summary>Per writer field, in writer order: where it goes (reader position) and how, or -1 to skip it.</summary>
        public (int Target, Reading? Read, Schema Writer)[] Fields { get; set; } = [];

        /// <summary>Reader fields the writer lacks, filled from their defaults.</summary>
        public (int Target, object? Value)[] Defaults { get; set; } = [];
    }

    internal sealed class Enum(EnumSchema reader, EnumSchema writer, int[] map) : Reading
    {
        public EnumSchema Reader { get; } = reader;

        public EnumSchema Writer { get; } = writer;

        /// <summary>Writer symbol index to reader symbol index; -1 when the reader has neither the symbol nor a default.</summary>
        public int[] SymbolMap { get; } = map;
    }

    internal sealed class Fixed(FixedSchema reader) : Reading
    {
        public FixedSchema Reader { get; } = reader;
    }

    internal sealed class Array(Reading items, Schema writerItems) : Reading
    {
        public Reading Items { get; } = items;

        public int MinItemBytes { get; } = MinBytes(writerItems);
    }

    internal sealed class Map(Reading values, Schema writerValues) : Reading
    {
        public Reading Values { get; } = values;

        public int MinItemBytes { get; } = 1 + MinBytes(writerValues);
    }

    /// <summary>The writer wrote a union: read its branch index, then that branch's resolution.</summary>
    internal sealed class WriterUnion(UnionSchema writer, Reading[] branches) : Reading
    {
        public UnionSchema Writer { get; } = writer;

        public Reading[] Branches { get; } = branches;
    }

    internal sealed class Fail(string message) : Reading
    {
        public string Message { get; } = message;
    }

    /// <summary>The fewest bytes a value of the schema takes (0 for null and empty records, fixed of size 0).</summary>
    internal static int MinBytes(Schema schema) => MinBytes(schema, []);

    private static int MinBytes(Schema schema, HashSet<Schema> visiting) => schema switch
    {
        { Kind: SchemaKind.Null } => 0,
        { Kind: SchemaKind.Float } => 4,
        { Kind: SchemaKind.Double } => 8,
        FixedSchema f => f.Size,
        RecordSchema r => visiting.Add(r) ? r.Fields.Sum(f => MinBytes(f.Schema, visiting)) : 1,
        _ => 1,
    };
}

/// <summary>Builds <see cref="Reading"/> trees (specification, "Schema Resolution").</summary>
internal sealed class Resolver
{
    private readonly Dictionary<(Schema, Schema), Reading> _records = [];

    public static Reading Resolve(Schema writer, Schema reader) => new Resolver().Build(writer, reader, "");

    private Reading Build(Schema writer, Schema reader, string path)
    {
        if (writer is UnionSchema writerUnion)
        {
            var branches = new Reading[writerUnion.Branches.Count];
            for (var i = 0; i < branches.Length; i++)
            {
                var branch = writerUnion.Branches[i];
                var target = reader is UnionSchema ru ? Choose(branch, ru) : Matches(branch, reader) ? reader : null;
                branches[i] = target is null
                    ? new Reading.Fail($"{At(path)}the writer's union branch {branch.DisplayName} matches nothing in the reader's {reader.DisplayName}")
                    : Build(branch, target, path);
            }

            return new Reading.WriterUnion(writerUnion, branches);
        }

        if (reader is UnionSchema readerUnion)
        {
            var target = Choose(writer, readerUnion)
                ?? throw new SchemaResolutionException($"{At(path)}the writer's {writer.DisplayName} matches no branch of the reader's union {readerUnion.CanonicalForm}");
            return Build(writer, target, path);
        }

        if (!Matches(writer, reader))
        {
            throw new SchemaResolutionException($"{At(path)}the writer's {writer.DisplayName} cannot be read as the reader's {reader.DisplayName}");
        }

        switch (reader)
        {
            case RecordSchema r:
                return BuildRecord((RecordSchema)writer, r, path);
            case EnumSchema e:
                var w = (EnumSchema)writer;
                var defaultIndex = e.Default is null ? -1 : e.IndexOf(e.Default);
                return new Reading.Enum(e, w, w.Symbols.Select(s => e.IndexOf(s) is var i && i >= 0 ? i : defaultIndex).ToArray());
            case FixedSchema f:
                return new Reading.Fixed(f);
            case ArraySchema a:
                var writerItems = ((ArraySchema)writer).Items;
                return new Reading.Array(Build(writerItems, a.Items, path + "[]"), writerItems);
            case MapSchema m:
                var writerValues = ((MapSchema)writer).Values;
                return new Reading.Map(Build(writerValues, m.Values, path + "{}"), writerValues);
            default:
                return new Reading.Primitive(writer.Kind, reader.Kind);
        }
    }

    private Reading.Record BuildRecord(RecordSchema writer, RecordSchema reader, string path)
    {
        if (_records.TryGetValue((writer, reader), out var existing))
        {
            return (Reading.Record)existing;
        }

        var record = new Reading.Record(reader);
        _records[(writer, reader)] = record;
        var used = new bool[reader.Fields.Count];
        var fields = new List<(int, Reading?, Schema)>();
        foreach (var writerField in writer.Fields)
        {
            var readerField = reader.GetField(writerField.Name) ?? reader.Fields.FirstOrDefault(f => f.Aliases.Contains(writerField.Name));
            if (readerField is null || used[readerField.Position])
            {
                fields.Add((-1, null, writerField.Schema));
                continue;
            }

            used[readerField.Position] = true;
            fields.Add((readerField.Position, Build(writerField.Schema, readerField.Schema, Join(path, readerField.Name)), writerField.Schema));
        }

        var defaults = new List<(int, object?)>();
        foreach (var readerField in reader.Fields.Where(f => !used[f.Position]))
        {
            if (readerField.Default is not { } json)
            {
                throw new SchemaResolutionException($"{At(Join(path, readerField.Name))}the reader's field has no default and the writer's record {writer.FullName} does not have it");
            }

            defaults.Add((readerField.Position, JsonEncoding.FromJson(readerField.Schema, json, wrappedUnions: false)));
        }

        record.Fields = [.. fields];
        record.Defaults = [.. defaults];
        return record;
    }

    /// <summary>The reader's union branch for a writer's schema: an exact match first, then the first that matches by promotion.</summary>
    internal static Schema? Choose(Schema writer, UnionSchema reader) =>
        reader.Branches.FirstOrDefault(b => IsExact(writer, b)) ?? reader.Branches.FirstOrDefault(b => Matches(writer, b));

    private static bool IsExact(Schema writer, Schema reader) => writer.Kind == reader.Kind &&
        (writer is not NamedSchema w || ((NamedSchema)reader).FullName == w.FullName);

    /// <summary>The specification's "match" between a non-union writer schema and a non-union reader schema.</summary>
    internal static bool Matches(Schema writer, Schema reader)
    {
        if (writer is UnionSchema || reader is UnionSchema)
        {
            return true;
        }

        return (writer.Kind, reader.Kind) switch
        {
            (SchemaKind.Int, SchemaKind.Long or SchemaKind.Float or SchemaKind.Double) => true,
            (SchemaKind.Long, SchemaKind.Float or SchemaKind.Double) => true,
            (SchemaKind.Float, SchemaKind.Double) => true,
            (SchemaKind.String, SchemaKind.Bytes) or (SchemaKind.Bytes, SchemaKind.String) => true,
            (SchemaKind.Record, SchemaKind.Record) or (SchemaKind.Enum, SchemaKind.Enum) => NamesMatch((NamedSchema)writer, (NamedSchema)reader),
            (SchemaKind.Fixed, SchemaKind.Fixed) => ((FixedSchema)writer).Size == ((FixedSchema)reader).Size && NamesMatch((NamedSchema)writer, (NamedSchema)reader),
            var (w, r) => w == r,
        };
    }

    /// <summary>Unqualified names match, or the reader names the writer among its aliases.</summary>
    private static bool NamesMatch(NamedSchema writer, NamedSchema reader) =>
        writer.Name == reader.Name || reader.Aliases.Any(a => a.FullName == writer.FullName || a.Name == writer.Name);

    private static string Join(string path, string field) => path.Length == 0 ? field : path + "." + field;

    private static string At(string path) => path.Length == 0 ? "" : $"at {path}: ";
}
