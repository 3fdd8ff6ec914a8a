using System.Text.Json.Nodes;

namespace Platform.Tests;

/// <summary>
/// Edits a JSON document by a dotted path ("resources.limits.cpu", "schema.fields[1].type"); null removes.
/// A top-level property whose name has dots ("csv.first.row.as.header") is matched whole.
/// </summary>
public static class JsonEdit
{
    public static JsonObject With(this JsonObject document, string path, JsonNode? value)
    {
        var copy = document.DeepClone().AsObject();
        var segments = copy.ContainsKey(path) ? [path] : Split(path);
        JsonNode parent = copy;
        foreach (var segment in segments[..^1])
        {
            parent = segment is int i ? parent[i]! : parent[(string)segment]!;
        }

        switch (segments[^1])
        {
            case int index when value is null: parent.AsArray().RemoveAt(index); break;
            case int index: parent[index] = value; break;
            case string name when value is null: parent.AsObject().Remove(name); break;
            case string name: parent[name] = value; break;
        }

        return copy;
    }

    public static JsonObject Without(this JsonObject document, string path) => document.With(path, null);

    private static object[] Split(string path)
    {
        var result = new List<object>();
        foreach (var part in path.Split('.'))
        {
            var bracket = part.IndexOf('[');
            if (bracket < 0)
            {
                result.Add(part);
                continue;
            }

            if (bracket > 0)
            {
                result.Add(part[..bracket]);
            }

            foreach (var index in part[bracket..].Split('[', StringSplitOptions.RemoveEmptyEntries))
            {
                result.Add(int.Parse(index.TrimEnd(']')));
            }
        }

        return [.. result];
    }
}
