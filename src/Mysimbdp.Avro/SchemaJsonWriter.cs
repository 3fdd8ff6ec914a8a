using System.Text.Json;

namespace Mysimbdp.Avro;

/// <summary>Writes a schema back as full JSON: docs, aliases, defaults, logical types and extra attributes kept.</summary>
internal static class SchemaJsonWriter
{
    public static string Write(Schema schema)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(schema, writer, new HashSet<string>(StringComparer.Ordinal), "");
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Write(Schema schema, Utf8JsonWriter writer, HashSet<string> defined, string enclosingNamespace)
    {
        if (schema is NamedSchema named && !defined.Add(named.FullName))
        {
            writer.WriteStringValue(named.Namespace == enclosingNamespace ? named.Name : named.FullName);
            return;
        }

        switch (schema)
        {
            case UnionSchema union:
                writer.WriteStartArray();
                foreach (var branch in union.Branches)
                {
                    Write(branch, writer, defined, enclosingNamespace);
                }

                writer.WriteEndArray();
                return;
            case PrimitiveSchema when schema.LogicalType is null && schema.Properties.Count == 0:
                writer.WriteStringValue(Schema.KindName(schema.Kind));
                return;
        }

        writer.WriteStartObject();
        writer.WriteString("type", schema is RecordSchema { IsError: true } ? "error" : Schema.KindName(schema.Kind));
        if (schema is NamedSchema n)
        {
            writer.WriteString("name", n.Name);
            if (n.Namespace != enclosingNamespace)
            {
                writer.WriteString("namespace", n.Namespace);
            }

            if (n.Doc is not null)
            {
                writer.WriteString("doc", n.Doc);
            }

            if (n.Aliases.Count > 0)
            {
                writer.WriteStartArray("aliases");
                foreach (var alias in n.Aliases)
                {
                    writer.WriteStringValue(alias.FullName);
                }

                writer.WriteEndArray();
            }
        }

        switch (schema)
        {
            case RecordSchema record:
                writer.WriteStartArray("fields");
                foreach (var field in record.Fields)
                {
                    WriteField(field, writer, defined, record.Namespace);
                }

                writer.WriteEndArray();
                break;
            case EnumSchema e:
                writer.WriteStartArray("symbols");
                foreach (var symbol in e.Symbols)
                {
                    writer.WriteStringValue(symbol);
                }

                writer.WriteEndArray();
                if (e.Default is not null)
                {
                    writer.WriteString("default", e.Default);
                }

                break;
            case FixedSchema f:
                writer.WriteNumber("size", f.Size);
                break;
            case ArraySchema a:
                writer.WritePropertyName("items");
                Write(a.Items, writer, defined, enclosingNamespace);
                break;
            case MapSchema m:
                writer.WritePropertyName("values");
                Write(m.Values, writer, defined, enclosingNamespace);
                break;
        }

        if (schema.LogicalType is { } logical)
        {
            writer.WriteString("logicalType", logical.Name);
            if (logical.Name == LogicalType.Decimal)
            {
                writer.WriteNumber("precision", logical.Precision);
                writer.WriteNumber("scale", logical.Scale);
            }
        }

        WriteProperties(schema.Properties, writer);
        writer.WriteEndObject();
    }

    private static void WriteField(Field field, Utf8JsonWriter writer, HashSet<string> defined, string ns)
    {
        writer.WriteStartObject();
        writer.WriteString("name", field.Name);
        writer.WritePropertyName("type");
        Write(field.Schema, writer, defined, ns);
        if (field.Doc is not null)
        {
            writer.WriteString("doc", field.Doc);
        }

        if (field.Default is { } defaultValue)
        {
            writer.WritePropertyName("default");
            defaultValue.WriteTo(writer);
        }

        if (field.Order != FieldOrder.Ascending)
        {
            writer.WriteString("order", field.Order == FieldOrder.Descending ? "descending" : "ignore");
        }

        if (field.Aliases.Count > 0)
        {
            writer.WriteStartArray("aliases");
            foreach (var alias in field.Aliases)
            {
                writer.WriteStringValue(alias);
            }

            writer.WriteEndArray();
        }

        WriteProperties(field.Properties, writer);
        writer.WriteEndObject();
    }

    private static void WriteProperties(IReadOnlyDictionary<string, JsonElement> properties, Utf8JsonWriter writer)
    {
        foreach (var (name, value) in properties)
        {
            writer.WritePropertyName(name);
            value.WriteTo(writer);
        }
    }
}
