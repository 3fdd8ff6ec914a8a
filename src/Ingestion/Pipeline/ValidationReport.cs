using Coredms;

namespace Ingestion.Pipeline;

/// <summary>One kind of problem in a dry run: how many rows had it and the first few of them.</summary>
public sealed record ProblemSummary(string Rule, long Count, IReadOnlyList<QuarantinedRow> Examples);

/// <summary>A quarantined row as tenants see it.</summary>
public sealed record QuarantinedRow(string FileId, long Line, string Column, string Rule, string Reason, string Raw);

/// <summary>
/// The sink of a dry run: writes nothing, counts the rows that would load, and keeps, per problem rule, the
/// count and the first <see cref="ExamplesPerRule"/> rows, so a tenant can fix a schema before a real run.
/// </summary>
public sealed class ValidationReport : IRowSink
{
    public const int ExamplesPerRule = 5;
    private readonly Dictionary<string, (long Count, List<QuarantinedRow> Examples)> _problems = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public long RowsThatWouldLoad { get; private set; }

    public IReadOnlyList<ProblemSummary> Problems
    {
        get
        {
            lock (_gate)
            {
                return _problems.OrderByDescending(p => p.Value.Count).ThenBy(p => p.Key, StringComparer.Ordinal)
                    .Select(p => new ProblemSummary(p.Key, p.Value.Count, p.Value.Examples.ToList())).ToList();
            }
        }
    }

    public Task WriteAsync(RowBatch rows, RowBatch quarantine, CancellationToken ct)
    {
        lock (_gate)
        {
            RowsThatWouldLoad += rows.Count;
            for (var i = 0; i < quarantine.Count; i++)
            {
                var rule = quarantine.GetText(i, 4);
                var entry = _problems.TryGetValue(rule, out var found) ? found : (0, new List<QuarantinedRow>());
                if (entry.Examples.Count < ExamplesPerRule)
                {
                    entry.Examples.Add(ToRow(quarantine, i));
                }

                _problems[rule] = (entry.Count + 1, entry.Examples);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Reads row <paramref name="i"/> of a quarantine batch (columns as in <c>Dataset.QuarantineTable</c>).</summary>
    public static QuarantinedRow ToRow(RowBatch quarantine, int i) => new(
        quarantine.GetText(i, 1), quarantine.GetInt64(i, 2), quarantine.GetText(i, 3), quarantine.GetText(i, 4), quarantine.GetText(i, 5), quarantine.GetText(i, 6));
}
