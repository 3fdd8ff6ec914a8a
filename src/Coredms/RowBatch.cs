using System.Globalization;
using System.Numerics;
using System.Text;

namespace Coredms;

/// <summary>
/// Rows for one table, built in place without a per-value allocation: each cell is one 64-bit slot
/// (an integer, a double's bits, or an offset and length into a shared byte arena for text and blobs)
/// plus a null flag. A row is built by setting cells and calling <see cref="EndRow"/>; a cell never
/// set is null.
/// </summary>
public sealed class RowBatch
{
    private static readonly DateTimeOffset Epoch = DateTimeOffset.UnixEpoch;

    private readonly int _width;
    private long[] _cells;
    private bool[] _nulls;
    private byte[] _arena;
    private int _arenaUsed;
    private int _rowArenaStart;

    /// <param name="table">Whose rows.</param>
    /// <param name="capacity">Rows it holds before it grows.</param>
    /// <param name="arenaBytes">Bytes of text and blobs it holds before it grows (0: 32 a row).</param>
    public RowBatch(TableSchema table, int capacity = 256, int arenaBytes = 0)
    {
        Table = table;
        _width = table.Columns.Count;
        capacity = Math.Max(1, capacity);

        // One row more than asked: the row after the last is started (with every cell null) when the last ends.
        _cells = new long[(capacity + 1) * _width];
        _nulls = new bool[(capacity + 1) * _width];
        _arena = new byte[Math.Max(1024, arenaBytes > 0 ? arenaBytes : capacity * 32)];
        Array.Fill(_nulls, true, 0, _width);
    }

    public TableSchema Table { get; }

    /// <summary>The number of finished rows.</summary>
    public int Count { get; private set; }

    /// <summary>Bytes of text and blob data held by the batch.</summary>
    public int ArenaBytes => _arenaUsed;

    public void SetInt64(int column, long value)
    {
        var cell = (Count * _width) + column;
        _cells[cell] = value;
        _nulls[cell] = false;
    }

    public void SetDouble(int column, double value) => SetInt64(column, BitConverter.DoubleToInt64Bits(value));

    /// <summary>Sets a text (UTF-8) or blob cell by copying the bytes into the batch.</summary>
    public void SetBytes(int column, ReadOnlySpan<byte> value)
    {
        if (_arenaUsed + value.Length > _arena.Length)
        {
            Array.Resize(ref _arena, Math.Max(_arena.Length * 2, _arenaUsed + value.Length));
        }

        value.CopyTo(_arena.AsSpan(_arenaUsed));
        SetInt64(column, ((long)_arenaUsed << 32) | (uint)value.Length);
        _arenaUsed += value.Length;
    }

    public void SetText(int column, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        if (_arenaUsed + length > _arena.Length)
        {
            Array.Resize(ref _arena, Math.Max(_arena.Length * 2, _arenaUsed + length));
        }

        Encoding.UTF8.GetBytes(value, _arena.AsSpan(_arenaUsed));
        SetInt64(column, ((long)_arenaUsed << 32) | (uint)length);
        _arenaUsed += length;
    }

    public void SetNull(int column) => _nulls[(Count * _width) + column] = true;

    /// <summary>Sets a cell from a CLR value of the column's type (see <see cref="GetValue"/> for the mapping).</summary>
    public void SetValue(int column, object? value)
    {
        if (value is null)
        {
            SetNull(column);
            return;
        }

        var type = Table.Columns[column].Type;
        switch (type.Kind)
        {
            case DataTypeKind.Boolean: SetInt64(column, (bool)value ? 1 : 0); break;
            case DataTypeKind.Int: SetInt64(column, checked((int)Convert.ToInt64(value, CultureInfo.InvariantCulture))); break;
            case DataTypeKind.BigInt: SetInt64(column, Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
            case DataTypeKind.Float:
            case DataTypeKind.Double: SetDouble(column, Convert.ToDouble(value, CultureInfo.InvariantCulture)); break;
            case DataTypeKind.Timestamp:
                SetInt64(column, value switch
                {
                    DateTimeOffset dto => dto.ToUnixTimeMilliseconds(),
                    DateTime dt => new DateTimeOffset(dt.ToUniversalTime()).ToUnixTimeMilliseconds(),
                    _ => Convert.ToInt64(value, CultureInfo.InvariantCulture),
                });
                break;
            case DataTypeKind.Date: SetInt64(column, value is DateOnly d ? d.DayNumber - DateOnly.FromDateTime(Epoch.UtcDateTime).DayNumber : Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
            case DataTypeKind.Time: SetInt64(column, value is TimeOnly t ? t.Ticks * 100 : Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
            case DataTypeKind.Blob: SetBytes(column, (byte[])value); break;
            case DataTypeKind.Uuid: SetText(column, value is Guid g ? g.ToString("D") : Guid.Parse((string)value).ToString("D")); break;
            case DataTypeKind.VarInt: SetText(column, value is BigInteger b ? b.ToString(CultureInfo.InvariantCulture) : Convert.ToString(value, CultureInfo.InvariantCulture)!); break;
            case DataTypeKind.Decimal: SetText(column, Convert.ToString(value, CultureInfo.InvariantCulture)!); break;
            default: SetText(column, (string)value); break;
        }
    }

    /// <summary>One row of <paramref name="table"/> holding leading primary-key values a caller gave (the other cells null).</summary>
    public static RowBatch OfKey(TableSchema table, IReadOnlyList<object?> values)
    {
        var row = new RowBatch(table, 1);
        for (var i = 0; i < values.Count; i++)
        {
            row.SetValue(table.PrimaryKeyIndexes[i], values[i]);
        }

        row.EndRow();
        return row;
    }

    /// <summary>One row of <paramref name="table"/> holding the values a caller gave by column name (the other cells null).</summary>
    public static RowBatch OfColumns(TableSchema table, IReadOnlyDictionary<string, object?> values)
    {
        var row = new RowBatch(table, 1);
        foreach (var (column, value) in values)
        {
            row.SetValue(table.IndexOf(column), value);
        }

        row.EndRow();
        return row;
    }

    /// <summary>Finishes the row being built; the next row starts with every cell null.</summary>
    public void EndRow()
    {
        Count++;
        var needed = (Count + 1) * _width;
        if (needed > _cells.Length)
        {
            Array.Resize(ref _cells, Math.Max(needed, _cells.Length * 2));
            Array.Resize(ref _nulls, _cells.Length);
        }

        Array.Fill(_nulls, true, Count * _width, _width);
        _rowArenaStart = _arenaUsed;
    }

    /// <summary>Forgets the row being built (for example when one of its values is rejected).</summary>
    public void DiscardRow()
    {
        Array.Fill(_nulls, true, Count * _width, _width);
        _arenaUsed = _rowArenaStart;
    }

    public void Clear()
    {
        Count = 0;
        _arenaUsed = 0;
        _rowArenaStart = 0;
        Array.Fill(_nulls, true, 0, _width);
    }

    public bool IsNull(int row, int column) => _nulls[(row * _width) + column];

    public long GetInt64(int row, int column) => _cells[(row * _width) + column];

    public double GetDouble(int row, int column) => BitConverter.Int64BitsToDouble(_cells[(row * _width) + column]);

    public ReadOnlySpan<byte> GetBytes(int row, int column)
    {
        var slot = _cells[(row * _width) + column];
        return _arena.AsSpan((int)(slot >> 32), (int)(uint)slot);
    }

    public string GetText(int row, int column) => Encoding.UTF8.GetString(GetBytes(row, column));

    /// <summary>
    /// A cell as a CLR value: bool, int, long, float, double, string (text, decimal, collections as JSON),
    /// byte[], Guid, BigInteger (varint), DateTimeOffset (timestamp), DateOnly (date), TimeOnly (time).
    /// </summary>
    public object? GetValue(int row, int column)
    {
        if (IsNull(row, column))
        {
            return null;
        }

        var type = Table.Columns[column].Type;
        return type.Storage switch
        {
            ValueStorage.Int64 => FromStorage(type, GetInt64(row, column), 0, default),
            ValueStorage.Double => FromStorage(type, 0, GetDouble(row, column), default),
            _ => FromStorage(type, 0, 0, GetBytes(row, column)),
        };
    }

    /// <summary>Converts a stored value to its CLR form; shared by engines that read values back.</summary>
    public static object FromStorage(DataType type, long integer, double real, ReadOnlySpan<byte> bytes) => type.Kind switch
    {
        DataTypeKind.Boolean => integer != 0,
        DataTypeKind.Int => (int)integer,
        DataTypeKind.BigInt => integer,
        DataTypeKind.Float => (float)real,
        DataTypeKind.Double => real,
        DataTypeKind.Timestamp => DateTimeOffset.FromUnixTimeMilliseconds(integer),
        DataTypeKind.Date => DateOnly.FromDayNumber((int)(DateOnly.FromDateTime(Epoch.UtcDateTime).DayNumber + integer)),
        DataTypeKind.Time => new TimeOnly(integer / 100),
        DataTypeKind.Blob => bytes.ToArray(),
        DataTypeKind.Uuid => Guid.Parse(Encoding.UTF8.GetString(bytes)),
        DataTypeKind.VarInt => BigInteger.Parse(Encoding.UTF8.GetString(bytes), CultureInfo.InvariantCulture),
        _ => Encoding.UTF8.GetString(bytes),
    };
}
