using System.Text.Json;

namespace Mysimbdp.Avro;

/// <summary>
/// Turns schema JSON into <see cref="Schema"/> objects, collecting every problem with its path instead of
/// stopping at the first one, so that a tenant can fix a schema in one go.
/// </summary>
internal sealed class SchemaParser
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 256 };

    private readonly Dictionary<string, NamedSchema> _names = new(StringComparer.Ordinal);
    private readonly List<SchemaError> _errors = [];
    private readonly SchemaParseOptions _options;
    private readonly SchemaLimits? _limits;
    private int _depth;
    private int _types;

    private SchemaParser(SchemaParseOptions options)
    {
        _options = options;
        _limits = options.Limits;
    }

    public static Schema Parse(string json, SchemaParseOptions options)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new SchemaParseException([new SchemaError("", "not valid JSON: " + e.Message)]);
        }

        using (document)
        {
            return Parse(document.RootElement, options);
        }
    }

    public static Schema Parse(JsonElement json, SchemaParseOptions options)
    {
        var parser = new SchemaParser(options);
        var schema = parser.ParseSchema(json, "", "");
        return parser._errors.Count == 0 ? schema : throw new SchemaParseException(parser._errors);
    }

    private void Error(string path, string message) => _errors.Add(new SchemaError(path, message));

    private static string Join(string path, string property) => path.Length == 0 ? property : path + "." + property;

    private Schema ParseSchema(JsonElement json, string ns, string path)
    {
        if (_limits is { } limits && (++_types > limits.MaxTypes || _depth >= limits.MaxDepth))
        {
            if (_types == limits.MaxTypes + 1)
            {
                Error(path, $"the schema has more than {limits.MaxTypes} types, over the limit (max_types {limits.MaxTypes})");
            }
            else if (_types <= limits.MaxTypes)
            {
                Error(path, $"the schema nests more than {limits.MaxDepth} levels deep here, over the limit (max_depth {limits.MaxDepth})");
            }

            return PrimitiveSchema.Of(SchemaKind.Null);
        }

        _depth++;
        try
        {
            switch (json.ValueKind)
            {
                case JsonValueKind.String:
                    return ResolveReference(json.GetString()!, ns, path);
                case JsonValueKind.Array:
                    return ParseUnion(json, ns, path);
                case JsonValueKind.Object:
                    return ParseObject(json, ns, path);
                default:
                    Error(path, $"a schema is a JSON string, object or array, not {Describe(json)}");
                    return PrimitiveSchema.Of(SchemaKind.Null);
            }
        }
        finally
        {
            _depth--;
        }
    }

    /// <summary>False (with an error naming the limit) when a list is longer than a limit allows; the caller skips it.</summary>
    private bool WithinLimit(JsonElement list, int? limit, string what, string limitName, string path)
    {
        if (limit is { } max && list.GetArrayLength() > max)
        {
            Error(path, $"{list.GetArrayLength()} {what}, over the limit of {max} ({limitName})");
            return false;
        }

        return true;
    }

    /// <summary>False (with an error naming the limit) when a name is longer than the limit allows.</summary>
    private bool NameWithinLimit(string name, string path)
    {
        if (_limits is { } limits && name.Length > limits.MaxNameLength)
        {
            Error(path, $"'{name[..Math.Min(32, name.Length)]}…' is {name.Length} characters long, over the limit of {limits.MaxNameLength} (max_name_length)");
            return false;
        }

        return true;
    }

    private Schema ResolveReference(string name, string ns, string path)
    {
        if (Schema.PrimitiveKind(name) is { } kind)
        {
            return PrimitiveSchema.Of(kind);
        }

        if (_names.TryGetValue(SchemaName.Resolve(name, ns).FullName, out var named) || _names.TryGetValue(name, out named))
        {
            return named;
        }

        Error(path, $"unknown type '{name}' (a named type must be defined before it is used)");
        return PrimitiveSchema.Of(SchemaKind.Null);
    }

    private Schema ParseObject(JsonElement json, string ns, string path)
    {
        if (!json.TryGetProperty("type", out var type))
        {
            Error(path, "missing attribute 'type'");
            return PrimitiveSchema.Of(SchemaKind.Null);
        }

        if (type.ValueKind != JsonValueKind.String)
        {
            if (_options.Strict)
            {
                Error(Join(path, "type"), "must be a type name such as \"record\" or \"int\"");
                return PrimitiveSchema.Of(SchemaKind.Null);
            }

            return ParseSchema(type, ns, Join(path, "type"));
        }

        var typeName = type.GetString()!;
        if (Schema.PrimitiveKind(typeName) is { } kind)
        {
            var logical = ParseLogicalType(json, kind, 0, path);
            return PrimitiveSchema.Create(kind, logical, ExtraProperties(json, PrimitiveAttributes));
        }

        return typeName switch
        {
            "record" or "error" => ParseRecord(json, ns, path, typeName == "error"),
            "enum" => ParseEnum(json, ns, path),
            "fixed" => ParseFixed(json, ns, path),
            "array" => new ArraySchema(ParseRequired(json, "items", ns, path), ExtraProperties(json, ArrayAttributes)),
            "map" => new MapSchema(ParseRequired(json, "values", ns, path), ExtraProperties(json, MapAttributes)),
            _ => ResolveReference(typeName, ns, Join(path, "type")),
        };
    }

    private Schema ParseRequired(JsonElement json, string attribute, string ns, string path)
    {
        if (json.TryGetProperty(attribute, out var value))
        {
            return ParseSchema(value, ns, Join(path, attribute));
        }

        Error(path, $"missing attribute '{attribute}'");
        return PrimitiveSchema.Of(SchemaKind.Null);
    }

    private UnionSchema ParseUnion(JsonElement json, string ns, string path)
    {
        var branches = new List<Schema>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var element in json.EnumerateArray())
        {
            var branchPath = $"{path}[{index++}]";
            var branch = ParseSchema(element, ns, branchPath);
            if (branch.Kind == SchemaKind.Union)
            {
                Error(branchPath, "a union may not immediately contain another union");
            }
            else if (!seen.Add(branch is NamedSchema named ? named.FullName : Schema.KindName(branch.Kind)))
            {
                Error(branchPath, $"the union already has a branch of type '{branch.DisplayName}'");
            }

            branches.Add(branch);
        }

        return new UnionSchema(branches);
    }

    private SchemaName? ParseName(JsonElement json, string ns, string path, out string definedNamespace)
    {
        definedNamespace = ns;
        if (!json.TryGetProperty("name", out var nameElement) || nameElement.ValueKind != JsonValueKind.String)
        {
            Error(path, "missing attribute 'name' (a string)");
            return null;
        }

        var written = nameElement.GetString()!;
        if (!NameWithinLimit(written, Join(path, "name")))
        {
            return null;
        }

        var explicitNamespace = ns;
        if (json.TryGetProperty("namespace", out var nsElement))
        {
            if (nsElement.ValueKind == JsonValueKind.String && !NameWithinLimit(nsElement.GetString()!, Join(path, "namespace")))
            {
                return null;
            }

            if (nsElement.ValueKind == JsonValueKind.String)
            {
                explicitNamespace = nsElement.GetString()!;
                if (!written.Contains('.') && !Names.IsValidNamespace(explicitNamespace))
                {
                    Error(Join(path, "namespace"), $"'{explicitNamespace}' is not a valid namespace (dot-separated names, each matching [A-Za-z_][A-Za-z0-9_]*)");
                }
            }
            else if (nsElement.ValueKind != JsonValueKind.Null)
            {
                Error(Join(path, "namespace"), "must be a string");
            }
        }

        var name = SchemaName.Resolve(written, explicitNamespace);
        if (!Names.IsValidName(name.Name) || (written.Contains('.') && !Names.IsValidNamespace(name.Namespace)))
        {
            Error(Join(path, "name"), $"'{written}' is not a valid name (must match [A-Za-z_][A-Za-z0-9_]*, optionally qualified by a namespace)");
        }
        else if (Schema.PrimitiveKind(name.Name) is not null)
        {
            Error(Join(path, "name"), $"'{written}' is a primitive type name and cannot be redefined");
        }
        else if (_names.ContainsKey(name.FullName))
        {
            Error(Join(path, "name"), $"'{name.FullName}' is already defined");
        }

        definedNamespace = name.Namespace;
        return name;
    }

    private List<SchemaName> ParseAliases(JsonElement json, string ns, string path)
    {
        var aliases = new List<SchemaName>();
        if (!json.TryGetProperty("aliases", out var element))
        {
            return aliases;
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            Error(Join(path, "aliases"), "must be an array of strings");
            return aliases;
        }

        var i = 0;
        foreach (var alias in element.EnumerateArray())
        {
            if (alias.ValueKind == JsonValueKind.String)
            {
                aliases.Add(SchemaName.Resolve(alias.GetString()!, ns));
            }
            else
            {
                Error($"{path}.aliases[{i}]", "must be a string");
            }

            i++;
        }

        return aliases;
    }

    private string? ParseDoc(JsonElement json, string path)
    {
        if (!json.TryGetProperty("doc", out var doc) || doc.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (doc.ValueKind == JsonValueKind.String)
        {
            return doc.GetString();
        }

        Error(Join(path, "doc"), "must be a string");
        return null;
    }

    private RecordSchema ParseRecord(JsonElement json, string ns, string path, bool isError)
    {
        var name = ParseName(json, ns, path, out var recordNamespace) ?? new SchemaName("invalid", "");
        var record = new RecordSchema(name, ParseAliases(json, recordNamespace, path), ParseDoc(json, path),
            ExtraProperties(json, RecordAttributes), isError);
        _names.TryAdd(name.FullName, record);

        var fields = new List<Field>();
        if (!json.TryGetProperty("fields", out var fieldsElement) || fieldsElement.ValueKind != JsonValueKind.Array)
        {
            Error(path, "missing attribute 'fields' (an array)");
            return record;
        }

        var fieldNames = new HashSet<string>(StringComparer.Ordinal);
        if (!WithinLimit(fieldsElement, _limits?.MaxFields, "fields", "max_fields", Join(path, "fields")))
        {
            return record;
        }

        foreach (var fieldElement in fieldsElement.EnumerateArray())
        {
            var fieldPath = $"{Join(path, "fields")}[{fields.Count}]";
            if (ParseField(fieldElement, recordNamespace, fieldPath, fields.Count, fieldNames) is { } field)
            {
                fields.Add(field);
            }
            else
            {
                fields.Add(new Field("invalid" + fields.Count, PrimitiveSchema.Of(SchemaKind.Null), fields.Count));
            }
        }

        record.SetFields(fields);
        return record;
    }

    private Field? ParseField(JsonElement json, string ns, string path, int position, HashSet<string> fieldNames)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            Error(path, "a field is a JSON object with 'name' and 'type'");
            return null;
        }

        string? name = null;
        if (!json.TryGetProperty("name", out var nameElement) || nameElement.ValueKind != JsonValueKind.String)
        {
            Error(path, "missing attribute 'name' (a string)");
        }
        else
        {
            name = nameElement.GetString()!;
            if (!NameWithinLimit(name, Join(path, "name")))
            {
                return null;
            }

            if (!Names.IsValidName(name))
            {
                Error(Join(path, "name"), $"'{name}' is not a valid field name (must match [A-Za-z_][A-Za-z0-9_]*)");
            }
            else if (!fieldNames.Add(name))
            {
                Error(Join(path, "name"), $"the record already has a field named '{name}'");
            }
        }

        if (!json.TryGetProperty("type", out var typeElement))
        {
            Error(path, "missing attribute 'type'");
            return null;
        }

        var schema = ParseSchema(typeElement, ns, Join(path, "type"));
        JsonElement? defaultValue = null;
        if (json.TryGetProperty("default", out var defaultElement))
        {
            defaultValue = defaultElement.Clone();
            if (DefaultValues.Check(schema, defaultElement) is { } problem)
            {
                Error(Join(path, "default"), problem);
            }
        }

        var order = FieldOrder.Ascending;
        if (json.TryGetProperty("order", out var orderElement))
        {
            switch (orderElement.ValueKind == JsonValueKind.String ? orderElement.GetString() : null)
            {
                case "ascending": order = FieldOrder.Ascending; break;
                case "descending": order = FieldOrder.Descending; break;
                case "ignore": order = FieldOrder.Ignore; break;
                default: Error(Join(path, "order"), "must be \"ascending\", \"descending\" or \"ignore\""); break;
            }
        }

        var aliases = ParseAliases(json, "", path).Select(a => a.FullName).ToList();
        return name is null
            ? null
            : new Field(name, schema, position, defaultValue, ParseDoc(json, path), aliases, order, ExtraProperties(json, FieldAttributes));
    }

    private EnumSchema ParseEnum(JsonElement json, string ns, string path)
    {
        var name = ParseName(json, ns, path, out var enumNamespace) ?? new SchemaName("invalid", "");
        var symbols = new List<string>();
        var distinct = new HashSet<string>(StringComparer.Ordinal);
        if (!json.TryGetProperty("symbols", out var symbolsElement) || symbolsElement.ValueKind != JsonValueKind.Array)
        {
            Error(path, "missing attribute 'symbols' (an array of strings)");
        }
        else if (WithinLimit(symbolsElement, _limits?.MaxSymbols, "symbols", "max_symbols", Join(path, "symbols")))
        {
            var i = 0;
            foreach (var symbol in symbolsElement.EnumerateArray())
            {
                var symbolPath = $"{Join(path, "symbols")}[{i++}]";
                if (symbol.ValueKind != JsonValueKind.String || !Names.IsValidName(symbol.GetString()!))
                {
                    Error(symbolPath, $"{Describe(symbol)} is not a valid symbol (must match [A-Za-z_][A-Za-z0-9_]*)");
                }
                else if (!NameWithinLimit(symbol.GetString()!, symbolPath))
                {
                    continue;
                }
                else if (!distinct.Add(symbol.GetString()!))
                {
                    Error(symbolPath, $"duplicate symbol '{symbol.GetString()}'");
                }
                else
                {
                    symbols.Add(symbol.GetString()!);
                }
            }
        }

        string? defaultSymbol = null;
        if (json.TryGetProperty("default", out var defaultElement))
        {
            defaultSymbol = defaultElement.ValueKind == JsonValueKind.String ? defaultElement.GetString() : null;
            if (defaultSymbol is null || !distinct.Contains(defaultSymbol))
            {
                Error(Join(path, "default"), $"{Describe(defaultElement)} is not one of the enum's symbols");
                defaultSymbol = null;
            }
        }

        var schema = new EnumSchema(name, symbols, defaultSymbol, ParseAliases(json, enumNamespace, path), ParseDoc(json, path),
            ExtraProperties(json, EnumAttributes));
        _names.TryAdd(name.FullName, schema);
        return schema;
    }

    private FixedSchema ParseFixed(JsonElement json, string ns, string path)
    {
        var name = ParseName(json, ns, path, out var fixedNamespace) ?? new SchemaName("invalid", "");
        var size = 0;
        if (!json.TryGetProperty("size", out var sizeElement))
        {
            Error(path, "missing attribute 'size'");
        }
        else if (!TryGetInt(sizeElement, out size) || size < 0)
        {
            Error(Join(path, "size"), $"{Describe(sizeElement)} is not a non-negative 32-bit integer");
            size = 0;
        }

        var logical = ParseLogicalType(json, SchemaKind.Fixed, size, path);
        var schema = new FixedSchema(name, size, logical, ParseAliases(json, fixedNamespace, path), ParseDoc(json, path),
            ExtraProperties(json, FixedAttributes));
        _names.TryAdd(name.FullName, schema);
        return schema;
    }

    private LogicalType? ParseLogicalType(JsonElement json, SchemaKind kind, int fixedSize, string path)
    {
        if (!json.TryGetProperty("logicalType", out var element))
        {
            return null;
        }

        var at = Join(path, "logicalType");
        if (element.ValueKind != JsonValueKind.String)
        {
            return Invalid(at, "must be a string");
        }

        var name = element.GetString()!;
        if (!LogicalType.IsKnown(name))
        {
            return Invalid(at, $"unknown logical type '{name}'");
        }

        if (!LogicalType.Annotates(name, kind, fixedSize))
        {
            var actual = kind == SchemaKind.Fixed ? $"fixed of size {fixedSize}" : Schema.KindName(kind);
            return Invalid(at, $"'{name}' annotates {LogicalType.Expected(name)}, not {actual}");
        }

        if (name != LogicalType.Decimal)
        {
            return new LogicalType(name);
        }

        if (!json.TryGetProperty("precision", out var precisionElement) || !TryGetInt(precisionElement, out var precision) || precision <= 0)
        {
            return Invalid(Join(path, "precision"), "decimal needs a positive integer 'precision'");
        }

        var scale = 0;
        if (json.TryGetProperty("scale", out var scaleElement) && (!TryGetInt(scaleElement, out scale) || scale < 0 || scale > precision))
        {
            return Invalid(Join(path, "scale"), $"decimal 'scale' must be an integer from 0 to the precision ({precision})");
        }

        if (kind == SchemaKind.Fixed && precision > LogicalType.MaxDecimalPrecision(fixedSize))
        {
            return Invalid(Join(path, "precision"),
                $"a fixed of size {fixedSize} holds at most {LogicalType.MaxDecimalPrecision(fixedSize)} digits, not {precision}");
        }

        return new LogicalType(name, precision, scale);
    }

    /// <summary>Invalid logical types are ignored when reading data (specification) and reported when strict.</summary>
    private LogicalType? Invalid(string path, string message)
    {
        if (_options.Strict)
        {
            Error(path, message);
        }

        return null;
    }

    private static readonly HashSet<string> PrimitiveAttributes = ["type", "logicalType", "precision", "scale"];
    private static readonly HashSet<string> ArrayAttributes = ["type", "items"];
    private static readonly HashSet<string> MapAttributes = ["type", "values"];
    private static readonly HashSet<string> RecordAttributes = ["type", "name", "namespace", "doc", "aliases", "fields"];
    private static readonly HashSet<string> FieldAttributes = ["name", "type", "doc", "default", "order", "aliases"];
    private static readonly HashSet<string> EnumAttributes = ["type", "name", "namespace", "doc", "aliases", "symbols", "default"];
    private static readonly HashSet<string> FixedAttributes = ["type", "name", "namespace", "doc", "aliases", "size", "logicalType", "precision", "scale"];

    private static Dictionary<string, JsonElement>? ExtraProperties(JsonElement json, HashSet<string> known)
    {
        Dictionary<string, JsonElement>? extra = null;
        foreach (var property in json.EnumerateObject())
        {
            if (!known.Contains(property.Name))
            {
                (extra ??= new Dictionary<string, JsonElement>(StringComparer.Ordinal))[property.Name] = property.Value.Clone();
            }
        }

        return extra;
    }

    private static bool TryGetInt(JsonElement json, out int value)
    {
        value = 0;
        return json.ValueKind == JsonValueKind.Number && json.TryGetInt32(out value);
    }

    internal static string Describe(JsonElement json) => json.ValueKind switch
    {
        JsonValueKind.String => $"'{json.GetString()}'",
        JsonValueKind.Number => json.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "nothing",
    };
}
