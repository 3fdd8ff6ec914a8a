using System.Buffers.Binary;
using System.Text.Json;
using Coredms;

namespace Ingestion.Lake;

/// <summary>Where a streamed row came from: its source (file or events request) and place in it; the same record replayed has the same id.</summary>
public readonly record struct RecordId(string Source, long Position);

/// <summary>
/// A micro-batch of streamed rows kept in the lake's stream spool until it is rolled into a lake file: a JSON header
/// line (the columns, when the rows arrived, the record ids they came from as ranges per source) and the rows' cells
/// in <see cref="RowBatch"/>'s own form, so that nothing is converted twice.
/// </summary>
internal static class StreamSegment
{
    /// <param name="Columns">The columns' names, in the order cells follow.</param>
    /// <param name="Fixed">Per column, whether its cells are 8 bytes (else a length and bytes).</param>
    /// <param name="ReceivedAtMs">When the platform took the rows.</param>
    /// <param name="Rows">How many rows follow.</param>
    /// <param name="Ids">Per source, the ranges [from, to] of the record positions the rows came from.</param>
    public sealed record Header(string[] Columns, bool[] Fixed, long ReceivedAtMs, int Rows, Dictionary<string, long[][]> Ids);

    /// <summary>Writes rows <paramref name="rows"/> of <paramref name="batch"/> to <paramref name="path"/> (whole or not at all), flushed to disk.</summary>
    public static void Write(string path, RowBatch batch, IReadOnlyList<int> rows, DateTimeOffset receivedAt, Dictionary<string, long[][]> ids)
    {
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            var columns = batch.Table.Columns;
            file.Write(JsonSerializer.SerializeToUtf8Bytes(new Header(columns.Select(c => c.Name).ToArray(),
                columns.Select(c => c.Type.Storage is ValueStorage.Int64 or ValueStorage.Double).ToArray(), receivedAt.ToUnixTimeMilliseconds(), rows.Count, ids)));
            file.WriteByte((byte)'\n');
            Span<byte> number = stackalloc byte[8];
            foreach (var r in rows)
            {
                for (var c = 0; c < columns.Count; c++)
                {
                    if (batch.IsNull(r, c))
                    {
                        file.WriteByte(0);
                        continue;
                    }

                    file.WriteByte(1);
                    if (columns[c].Type.Storage is ValueStorage.Int64 or ValueStorage.Double)
                    {
                        BinaryPrimitives.WriteInt64LittleEndian(number, batch.GetInt64(r, c));
                        file.Write(number);
                    }
                    else
                    {
                        var bytes = batch.GetBytes(r, c);
                        BinaryPrimitives.WriteInt32LittleEndian(number, bytes.Length);
                        file.Write(number[..4]);
                        file.Write(bytes);
                    }
                }
            }

            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    public static Header ReadHeader(string path)
    {
        using var file = File.OpenRead(path);
        return JsonSerializer.Deserialize<Header>(ReadLine(file))!;
    }

    /// <summary>Reads a segment's rows into a batch of <paramref name="table"/>, matching columns by name (a column it lacks is null).</summary>
    public static (Header Header, RowBatch Rows) Read(string path, TableSchema table)
    {
        using var file = new BufferedStream(File.OpenRead(path), 1 << 16);
        var header = JsonSerializer.Deserialize<Header>(ReadLine(file))!;
        var into = header.Columns.Select(name => table.Columns.Select((c, i) => (c, i)).FirstOrDefault(x => x.c.Name == name)).ToArray();
        var batch = new RowBatch(table, header.Rows);
        Span<byte> number = stackalloc byte[8];
        var buffer = Array.Empty<byte>();
        for (var r = 0; r < header.Rows; r++)
        {
            for (var c = 0; c < header.Columns.Length; c++)
            {
                if (file.ReadByte() != 1)
                {
                    continue;
                }

                // The segment's own storage kind decides how many bytes follow; a column dropped since is read and skipped.
                var (column, index) = into[c];
                if (header.Fixed[c])
                {
                    file.ReadExactly(number);
                    if (column is not null)
                    {
                        batch.SetInt64(index, BinaryPrimitives.ReadInt64LittleEndian(number));
                    }
                }
                else
                {
                    file.ReadExactly(number[..4]);
                    var length = BinaryPrimitives.ReadInt32LittleEndian(number);
                    if (buffer.Length < length)
                    {
                        buffer = new byte[Math.Max(length, buffer.Length * 2)];
                    }

                    file.ReadExactly(buffer, 0, length);
                    if (column is not null)
                    {
                        batch.SetBytes(index, buffer.AsSpan(0, length));
                    }
                }
            }

            batch.EndRow();
        }

        return (header, batch);
    }

    private static byte[] ReadLine(Stream stream)
    {
        var line = new MemoryStream();
        for (var b = stream.ReadByte(); b is not ('\n' or -1); b = stream.ReadByte())
        {
            line.WriteByte((byte)b);
        }

        return line.ToArray();
    }
}
