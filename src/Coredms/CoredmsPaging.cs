namespace Coredms;

/// <summary>Reading past one page.</summary>
public static class CoredmsPaging
{
    /// <summary>Every live row under the key prefix (the whole table for an empty one), page after page.</summary>
    public static async IAsyncEnumerable<object?[]> SelectAllAsync(this ICoredms coredms, TableSchema table, IReadOnlyList<object?> prefix,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        string? state = null;
        do
        {
            var page = await coredms.SelectAsync(table, new SelectQuery(prefix, 1000, state), ct);
            foreach (var row in page.Rows)
            {
                yield return row;
            }

            state = page.PagingState;
        }
        while (state is not null);
    }
}
