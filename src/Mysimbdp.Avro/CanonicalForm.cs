using System.Text;

namespace Mysimbdp.Avro;

/// <summary>
/// Writes the Parsing Canonical Form: primitives in simple form, full names without namespaces, only the
/// attributes relevant to parsing (name, type, fields, symbols, items, values, size) in that order, no
/// whitespace, and named types written out once and referenced by full name afterwards.
/// </summary>
internal static class CanonicalForm
{
    public static string Write(Schema schema)
    {
        var text = new StringBuilder();
        Write(schema, text, new HashSet<string>(StringComparer.Ordinal));
        return text.ToString();
    }

    private static void Write(Schema schema, StringBuilder text, HashSet<string> defined)
    {
        if (schema is NamedSchema named && !defined.Add(named.FullName))
        {
            JsonText.String(text, named.FullName);
            return;
        }

        switch (schema)
        {
            case RecordSchema record:
                text.Append("{\"name\":");
                JsonText.String(text, record.FullName);
                text.Append(record.IsError ? ",\"type\":\"error\",\"fields\":[" : ",\"type\":\"record\",\"fields\":[");
                for (var i = 0; i < record.Fields.Count; i++)
                {
                    text.Append(i == 0 ? "{\"name\":" : ",{\"name\":");
                    JsonText.String(text, record.Fields[i].Name);
                    text.Append(",\"type\":");
                    Write(record.Fields[i].Schema, text, defined);
                    text.Append('}');
                }

                text.Append("]}");
                break;
            case EnumSchema e:
                text.Append("{\"name\":");
                JsonText.String(text, e.FullName);
                text.Append(",\"type\":\"enum\",\"symbols\":[");
                for (var i = 0; i < e.Symbols.Count; i++)
                {
                    if (i > 0)
                    {
                        text.Append(',');
                    }

                    JsonText.String(text, e.Symbols[i]);
                }

                text.Append("]}");
                break;
            case FixedSchema f:
                text.Append("{\"name\":");
                JsonText.String(text, f.FullName);
                text.Append(",\"type\":\"fixed\",\"size\":").Append(f.Size).Append('}');
                break;
            case ArraySchema a:
                text.Append("{\"type\":\"array\",\"items\":");
                Write(a.Items, text, defined);
                text.Append('}');
                break;
            case MapSchema m:
                text.Append("{\"type\":\"map\",\"values\":");
                Write(m.Values, text, defined);
                text.Append('}');
                break;
            case UnionSchema u:
                text.Append('[');
                for (var i = 0; i < u.Branches.Count; i++)
                {
                    if (i > 0)
                    {
                        text.Append(',');
                    }

                    Write(u.Branches[i], text, defined);
                }

                text.Append(']');
                break;
            default:
                text.Append('"').Append(Schema.KindName(schema.Kind)).Append('"');
                break;
        }
    }
}

/// <summary>The CRC-64-AVRO fingerprint from the specification ("Schema Fingerprints").</summary>
public static class Rabin
{
    private const ulong Empty = 0xc15d213aa4d7a795UL;
    private static readonly ulong[] Table = BuildTable();

    private static ulong[] BuildTable()
    {
        var table = new ulong[256];
        for (var i = 0; i < 256; i++)
        {
            var fp = (ulong)i;
            for (var j = 0; j < 8; j++)
            {
                fp = (fp >> 1) ^ (Empty & (0UL - (fp & 1UL)));
            }

            table[i] = fp;
        }

        return table;
    }

    public static long Fingerprint64(ReadOnlySpan<byte> data)
    {
        var fp = Empty;
        foreach (var b in data)
        {
            fp = (fp >> 8) ^ Table[(int)((fp ^ b) & 0xff)];
        }

        return unchecked((long)fp);
    }

    public static long Fingerprint64(string text) => Fingerprint64(Encoding.UTF8.GetBytes(text));
}

/// <summary>Minimal JSON string writing: escapes what JSON requires and leaves other characters as UTF-8.</summary>
internal static class JsonText
{
    public static void String(StringBuilder text, string value)
    {
        text.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                case '\b': text.Append("\\b"); break;
                case '\f': text.Append("\\f"); break;
                default:
                    if (c < 0x20)
                    {
                        text.Append("\\u").Append(((int)c).ToString("x4"));
                    }
                    else
                    {
                        text.Append(c);
                    }

                    break;
            }
        }

        text.Append('"');
    }
}
