using System.Text;
using Coredms;

namespace Catalog.Datasets;

/// <summary>
/// A quarantined row as tenants see it: which dataset, the file (or events request, or stream source) and line it came
/// from, the column and rule it broke (column empty for whole-line problems), why, and the raw line as received.
/// </summary>
public sealed record QuarantinedRow(string Dataset, string FileId, long Line, string Column, string Rule, string Reason, string Raw, DateTimeOffset? QuarantinedAt);

/// <summary>
/// The quarantine table each tenant keyspace has (one for all its datasets), and the one place its rows are written and
/// read: the writers append to a <see cref="RowBatch"/> on the hot path without allocating, the readers get
/// <see cref="QuarantinedRow"/>s.
/// </summary>
public static class Quarantine
{
    /// <summary>The most bytes of a raw line kept.</summary>
    public const int RawLimit = 4096;

    private const int DatasetColumn = 0, FileColumn = 1, LineColumn = 2, ColumnColumn = 3, RuleColumn = 4, ReasonColumn = 5, RawColumn = 6, AtColumn = 7;

    public static TableSchema Table(string keyspace) => new(keyspace, DataConfigurationValidator.QuarantineTable,
    [
        new Column("dataset", DataType.Text),
        new Column("file_id", DataType.Text),
        new Column("line", DataType.BigInt),
        new Column("column", DataType.Text),
        new Column("rule", DataType.Text),
        new Column("reason", DataType.Text),
        new Column("raw", DataType.Text),
        new Column("quarantined_at", DataType.Timestamp),
    ], ["dataset"], ["file_id", "line"]);

    /// <summary>Appends a row; <paramref name="raw"/> is cut at <see cref="RawLimit"/> bytes and kept as valid UTF-8.</summary>
    public static void Append(RowBatch batch, string dataset, string fileId, long line, string column, string rule, string reason, ReadOnlySpan<byte> raw, DateTimeOffset at)
    {
        batch.SetText(DatasetColumn, dataset);
        batch.SetText(FileColumn, fileId);
        batch.SetInt64(LineColumn, line);
        batch.SetText(ColumnColumn, column);
        batch.SetText(RuleColumn, rule);
        batch.SetText(ReasonColumn, reason);
        var text = raw.Length > RawLimit ? raw[..RawLimit] : raw;
        batch.SetBytes(RawColumn, System.Text.Unicode.Utf8.IsValid(text) ? text : Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(text)));
        batch.SetInt64(AtColumn, at.ToUnixTimeMilliseconds());
        batch.EndRow();
    }

    /// <summary>The rule of row <paramref name="i"/> of a batch (counting by rule without reading the rest).</summary>
    public static string RuleOf(RowBatch batch, int i) => batch.GetText(i, RuleColumn);

    public static QuarantinedRow Read(RowBatch batch, int i) => Read(i, batch.GetValue);

    /// <summary>A row as <see cref="ICoredms.SelectAsync"/> returns it.</summary>
    public static QuarantinedRow Read(object?[] values) => Read(0, (_, column) => values[column]);

    private static QuarantinedRow Read(int row, Func<int, int, object?> value) => new(
        value(row, DatasetColumn) as string ?? "", value(row, FileColumn) as string ?? "", value(row, LineColumn) as long? ?? 0,
        value(row, ColumnColumn) as string ?? "", value(row, RuleColumn) as string ?? "", value(row, ReasonColumn) as string ?? "",
        value(row, RawColumn) as string ?? "", value(row, AtColumn) as DateTimeOffset?);
}
