namespace Mysimbdp.Avro;

/// <summary>Which direction(s) a schema change must keep readable, as schema registries define it.</summary>
public enum CompatibilityMode
{
    /// <summary>The new schema can read data written with the old one.</summary>
    Backward,

    /// <summary>The old schema can read data written with the new one.</summary>
    Forward,

    /// <summary>Both.</summary>
    Full,
}

/// <summary>
/// Checks, without data, whether every datum of a writer's schema can be read with a reader's schema:
/// unlike reading, which fails only on data that needs a missing piece, anything that could fail counts.
/// </summary>
public static class SchemaCompatibility
{
    public static IReadOnlyList<string> Check(Schema previous, Schema next, CompatibilityMode mode) => mode switch
    {
        CompatibilityMode.Backward => CanRead(previous, next),
        CompatibilityMode.Forward => CanRead(next, previous),
        _ => [.. CanRead(previous, next).Select(p => "backward: " + p), .. CanRead(next, previous).Select(p => "forward: " + p)],
    };

    /// <summary>The reasons some data of <paramref name="writer"/> cannot be read as <paramref name="reader"/>; empty when all can.</summary>
    public static IReadOnlyList<string> CanRead(Schema writer, Schema reader)
    {
        var problems = new List<string>();
        Visit(writer, reader, "", problems, []);
        return problems;
    }

    private static void Visit(Schema writer, Schema reader, string path, List<string> problems, HashSet<(Schema, Schema)> seen)
    {
        if (!seen.Add((writer, reader)))
        {
            return;
        }

        var at = path.Length == 0 ? "(root)" : path;
        if (writer is UnionSchema wu)
        {
            foreach (var branch in wu.Branches)
            {
                Visit(branch, reader, path, problems, seen);
            }

            return;
        }

        if (reader is UnionSchema ru)
        {
            if (Resolver.Choose(writer, ru) is { } target)
            {
                Visit(writer, target, path, problems, seen);
            }
            else
            {
                problems.Add($"{at}: the writer's {writer.DisplayName} matches no branch of the reader's union {ru.CanonicalForm}");
            }

            return;
        }

        if (!Resolver.Matches(writer, reader))
        {
            problems.Add($"{at}: the writer's {writer.DisplayName} cannot be read as {reader.DisplayName}");
            return;
        }

        switch (reader)
        {
            case RecordSchema r:
                var w = (RecordSchema)writer;
                foreach (var field in r.Fields)
                {
                    var source = w.GetField(field.Name) ?? w.Fields.FirstOrDefault(f => field.Aliases.Contains(f.Name));
                    var fieldPath = path.Length == 0 ? field.Name : $"{path}.{field.Name}";
                    if (source is not null)
                    {
                        Visit(source.Schema, field.Schema, fieldPath, problems, seen);
                    }
                    else if (field.Default is null)
                    {
                        problems.Add($"{fieldPath}: the reader's field has no default and the writer does not have it");
                    }
                }

                break;
            case EnumSchema e when e.Default is null:
                var missing = ((EnumSchema)writer).Symbols.Where(s => e.IndexOf(s) < 0).ToList();
                if (missing.Count > 0)
                {
                    problems.Add($"{at}: the reader's enum {e.FullName} lacks {string.Join(", ", missing)} and has no default");
                }

                break;
            case ArraySchema a:
                Visit(((ArraySchema)writer).Items, a.Items, path + "[]", problems, seen);
                break;
            case MapSchema m:
                Visit(((MapSchema)writer).Values, m.Values, path + "{}", problems, seen);
                break;
        }
    }
}
