using Mysimbdp.Avro;

namespace Catalog.Datasets;

/// <summary>One reason a new schema may not replace a dataset's: the field's path, the rule, and what breaks.</summary>
public sealed record SchemaChangeProblem(string Field, string Rule, string Message);

/// <summary>
/// A dataset's <c>compatibility</c>, with the levels Confluent Schema Registry users know: BACKWARD (the default:
/// the new schema reads what the previous one wrote), FORWARD (the previous schema reads what the new one writes),
/// FULL (both), each against the previous version or, <c>_TRANSITIVE</c>, against every version; NONE checks
/// nothing. Whatever the level, a dataset's key never changes, a field is not renamed (coredms keeps a column per
/// field name, and Cassandra renames only key columns), and a column keeps its type (Cassandra's ALTER TABLE cannot
/// change one), so that both engines follow every accepted change the same way: new fields become new columns.
/// </summary>
public sealed record SchemaRule(string Level, CompatibilityMode? Mode, bool Transitive)
{
    public static readonly string[] Levels = ["BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE"];

    public static SchemaRule Parse(string? level)
    {
        level ??= "BACKWARD";
        CompatibilityMode? mode = level.Split('_')[0] switch
        {
            "BACKWARD" => CompatibilityMode.Backward,
            "FORWARD" => CompatibilityMode.Forward,
            "FULL" => CompatibilityMode.Full,
            _ => null,
        };
        return new SchemaRule(level, mode, level.EndsWith("_TRANSITIVE", StringComparison.Ordinal));
    }

    /// <summary>
    /// Every reason <paramref name="next"/> may not replace <paramref name="previous"/>, whose schema versions are
    /// <paramref name="versions"/> (oldest first, the last being the previous one's); empty when it may.
    /// </summary>
    public IReadOnlyList<SchemaChangeProblem> Check(Dataset previous, Dataset next, IReadOnlyList<(int Version, RecordSchema Schema)> versions)
    {
        var problems = new List<SchemaChangeProblem>();
        foreach (var (path, before, after) in new[] { ("primary_key", previous.PrimaryKey, next.PrimaryKey), ("partition_key", previous.PartitionKey, next.PartitionKey) })
        {
            if (!before.SequenceEqual(after))
            {
                problems.Add(new(path, "key_unchanged", $"was [{string.Join(", ", before)}], is [{string.Join(", ", after)}]: a dataset's rows are stored by their key, which never changes"));
            }
        }

        foreach (var field in next.Schema.Fields)
        {
            var old = previous.Schema.GetField(field.Name);
            if (old is null)
            {
                if (field.Aliases.FirstOrDefault(a => previous.Schema.GetField(a) is not null && next.Schema.GetField(a) is null) is { } renamed)
                {
                    problems.Add(new(field.Name, "rename", $"renames '{renamed}' through its aliases: coredms keeps a column per field name and Cassandra renames only key columns; keep the name '{renamed}'"));
                }

                continue;
            }

            if (next.PrimaryKey.Contains(field.Name) && old.Schema.CanonicalForm != field.Schema.CanonicalForm)
            {
                problems.Add(new(field.Name, "key_unchanged", $"is a key field and changed from {old.Schema.DisplayName} to {field.Schema.DisplayName}: key fields never change"));
            }
            else if (AvroColumns.TypeOf(old.Schema) is var column && AvroColumns.TypeOf(field.Schema) is var changed && column != changed)
            {
                problems.Add(new(field.Name, "column_type", $"changed from {old.Schema.DisplayName} to {field.Schema.DisplayName}: its column is {column} and would be {changed}, and coredms cannot change a column's type (Cassandra's ALTER TABLE cannot)"));
            }
        }

        if (Mode is { } mode)
        {
            foreach (var (version, schema) in Transitive ? versions : versions.TakeLast(1))
            {
                if (mode is CompatibilityMode.Backward or CompatibilityMode.Full)
                {
                    problems.AddRange(Reasons(SchemaCompatibility.CanRead(schema, next.Schema), "backward", $"data written with version {version} cannot be read with the new schema"));
                }

                if (mode is CompatibilityMode.Forward or CompatibilityMode.Full)
                {
                    problems.AddRange(Reasons(SchemaCompatibility.CanRead(next.Schema, schema), "forward", $"version {version} cannot read data written with the new schema"));
                }
            }
        }

        return problems;
    }

    /// <summary>"path: what" from the compatibility check, as a problem of that path under <paramref name="rule"/>.</summary>
    private static IEnumerable<SchemaChangeProblem> Reasons(IReadOnlyList<string> reasons, string rule, string what) =>
        reasons.Select(r => r.Split(": ", 2) is [var path, var message] ? new SchemaChangeProblem(path, rule, $"{what}: {message}") : new SchemaChangeProblem("schema", rule, $"{what}: {r}"));
}
