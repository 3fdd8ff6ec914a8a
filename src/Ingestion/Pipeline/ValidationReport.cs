using Catalog.Datasets;
using Coredms;

namespace Ingestion.Pipeline;

/// <summary>One kind of problem in a dry run: how many rows had it and the first few of them.</summary>
public sealed record ProblemSummary(string Rule, long Count, IReadOnlyList<QuarantinedRow> Examples);

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
                var rule = Quarantine.RuleOf(quarantine, i);
                var entry = _problems.TryGetValue(rule, out var found) ? found : (0, new List<QuarantinedRow>());
                if (entry.Examples.Count < ExamplesPerRule)
                {
                    entry.Examples.Add(Quarantine.Read(quarantine, i));
                }

                _problems[rule] = (entry.Count + 1, entry.Examples);
            }
        }

        return Task.CompletedTask;
    }
}
