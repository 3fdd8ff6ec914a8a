using System.Text;
using System.Text.Json.Nodes;

namespace Mysimbdp.Avro.Tests;

/// <summary>
/// Random schemas (every kind, logical types, references to named types defined earlier) and random datums
/// for them. A record is referenced only once defined, so every schema has finite values; recursive schemas
/// have their own tests. Seeded, so a failure names a reproducible case.
/// </summary>
/// <param name="seed">Makes the sequence reproducible.</param>
/// <param name="safeLongs">Keep longs within ±2^52: npm avsc keeps longs as JS numbers, and beyond that their zig-zag form loses precision there.</param>
public sealed class RandomAvro(int seed, bool safeLongs = false)
{
    private readonly Random _random = new(seed);
    private readonly List<string> _named = [];
    private int _names;

    public int Seed { get; } = seed;

    public Schema NextSchema(int maxDepth = 3) => Schema.Parse(SchemaJson(0, maxDepth).ToJsonString());

    private JsonNode SchemaJson(int depth, int maxDepth, bool inUnion = false)
    {
        var roll = _random.Next(depth >= maxDepth ? 10 : 17);
        switch (roll)
        {
            case < 8: return Primitive();
            case 8: return Logical();
            case 9 when _named.Count > 0: return _named[_random.Next(_named.Count)];
            case 9: return Primitive();
            case 10 or 11: return Record(depth, maxDepth);
            case 12: return Enum();
            case 13: return Fixed();
            case 14: return new JsonObject { ["type"] = "array", ["items"] = SchemaJson(depth + 1, maxDepth) };
            case 15: return new JsonObject { ["type"] = "map", ["values"] = SchemaJson(depth + 1, maxDepth) };
            default: return inUnion ? Primitive() : Union(depth, maxDepth);
        }
    }

    private JsonNode Primitive() => (JsonNode)new[] { "null", "boolean", "int", "long", "float", "double", "bytes", "string" }[_random.Next(8)];

    private JsonObject Logical() => _random.Next(8) switch
    {
        0 => new JsonObject { ["type"] = "int", ["logicalType"] = "date" },
        1 => new JsonObject { ["type"] = "int", ["logicalType"] = "time-millis" },
        2 => new JsonObject { ["type"] = "long", ["logicalType"] = "time-micros" },
        3 => new JsonObject { ["type"] = "long", ["logicalType"] = "timestamp-millis" },
        4 => new JsonObject { ["type"] = "long", ["logicalType"] = "timestamp-micros" },
        5 => new JsonObject { ["type"] = "string", ["logicalType"] = "uuid" },
        6 => new JsonObject { ["type"] = "bytes", ["logicalType"] = "decimal", ["precision"] = 12, ["scale"] = 2 },
        _ => new JsonObject { ["type"] = "fixed", ["name"] = NewName("Dec"), ["size"] = 8, ["logicalType"] = "decimal", ["precision"] = 18, ["scale"] = 4 },
    };

    private string NewName(string prefix)
    {
        var name = $"{prefix}{_names++}";
        _named.Add(name);
        return name;
    }

    private JsonObject Record(int depth, int maxDepth)
    {
        var name = $"R{_names++}";
        var fields = new JsonArray();
        var count = _random.Next(6);
        for (var i = 0; i < count; i++)
        {
            var field = new JsonObject { ["name"] = $"f{i}", ["type"] = SchemaJson(depth + 1, maxDepth) };
            if (_random.Next(4) == 0)
            {
                field["doc"] = "field " + i;
            }

            fields.Add(field);
        }

        _named.Add(name);
        return new JsonObject { ["type"] = "record", ["name"] = name, ["fields"] = fields };
    }

    private JsonObject Enum()
    {
        var symbols = new JsonArray();
        var count = 1 + _random.Next(5);
        for (var i = 0; i < count; i++)
        {
            symbols.Add($"S{i}");
        }

        return new JsonObject { ["type"] = "enum", ["name"] = NewName("E"), ["symbols"] = symbols };
    }

    private JsonObject Fixed() => new() { ["type"] = "fixed", ["name"] = NewName("F"), ["size"] = _random.Next(17) };

    private JsonArray Union(int depth, int maxDepth)
    {
        var branches = new JsonArray();
        var kinds = new HashSet<string>();
        var count = 1 + _random.Next(4);
        for (var i = 0; i < count * 3 && branches.Count < count; i++)
        {
            var branch = SchemaJson(depth + 1, maxDepth, inUnion: true);
            var key = branch switch
            {
                JsonValue v => v.GetValue<string>(),
                JsonObject o when o["name"] is { } n => n.GetValue<string>(),
                JsonObject o => o["type"]!.GetValue<string>(),
                _ => "?",
            };
            if (kinds.Add(key))
            {
                branches.Add(branch);
            }
        }

        return branches;
    }

    public object? NextDatum(Schema schema, int depth = 0)
    {
        switch (schema)
        {
            case RecordSchema r:
                return new GenericRecord(r, r.Fields.Select(f => NextDatum(f.Schema, depth + 1)).ToArray());
            case EnumSchema e:
                return new GenericEnumSymbol(e, e.Symbols[_random.Next(e.Symbols.Count)]);
            case FixedSchema f:
                return new GenericFixed(f, Bytes(f.Size));
            case ArraySchema a:
                return Enumerable.Range(0, depth > 4 ? 0 : _random.Next(4)).Select(_ => NextDatum(a.Items, depth + 1)).ToList();
            case MapSchema m:
                var map = new Dictionary<string, object?>();
                for (var i = depth > 4 ? 0 : _random.Next(4); i > 0; i--)
                {
                    map["k" + RandomString(4)] = NextDatum(m.Values, depth + 1);
                }

                return map;
            case UnionSchema u:
                var candidates = depth > 4 && u.NullIndex >= 0 ? [u.Branches[u.NullIndex]] : u.Branches;
                return NextDatum(candidates[_random.Next(candidates.Count)], depth + 1);
        }

        return schema.LogicalType?.Name switch
        {
            LogicalType.Uuid => Guid.NewGuid().ToString(),
            LogicalType.Date => _random.Next(-100_000, 100_000),
            LogicalType.TimeMillis => _random.Next(0, 86_400_000),
            _ => schema.Kind switch
            {
                SchemaKind.Null => null,
                SchemaKind.Boolean => _random.Next(2) == 1,
                SchemaKind.Int => (object)(_random.Next(4) == 0 ? new[] { 0, -1, int.MinValue, int.MaxValue }[_random.Next(4)] : _random.Next(int.MinValue, int.MaxValue)),
                SchemaKind.Long => safeLongs ? _random.NextInt64(-(1L << 52), 1L << 52) : _random.Next(4) == 0 ? new[] { long.MinValue, long.MaxValue, 0L }[_random.Next(3)] : _random.NextInt64(long.MinValue, long.MaxValue),
                SchemaKind.Float => (float)Math.Round((_random.NextDouble() - 0.5) * 1e6, 3),
                SchemaKind.Double => (_random.NextDouble() - 0.5) * Math.Pow(10, _random.Next(-10, 30)),
                SchemaKind.Bytes => Bytes(_random.Next(20)),
                _ => RandomString(_random.Next(12)),
            },
        };
    }

    private byte[] Bytes(int count)
    {
        var bytes = new byte[count];
        _random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Text with ASCII, accents, CJK, an emoji (a surrogate pair) and a control character.</summary>
    private string RandomString(int length)
    {
        var text = new StringBuilder();
        for (var i = 0; i < length; i++)
        {
            text.Append(_random.Next(10) switch
            {
                0 => "\u00e9",
                1 => "\u4e2d",
                2 => "\U0001F600",
                3 => "\u0001",
                4 => "\"",
                _ => ((char)_random.Next('a', 'z' + 1)).ToString(),
            });
        }

        return text.ToString();
    }
}
