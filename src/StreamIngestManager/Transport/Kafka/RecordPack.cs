using System.IO.Hashing;
using Mysimbdp.Avro;

namespace StreamIngestManager.Transport.Kafka;

/// <summary>
/// The value of a platform Kafka message: consecutive records of one partition and one source, in the Avro
/// binary encoding of <see cref="Schema"/> (one array block), so that any Avro library can read a message
/// without this code. Each item keeps its record's key, value (Avro binary of the schema named by the message's
/// fingerprint header) and position in its source.
/// </summary>
public static class RecordPack
{
    public const string Schema = """
        {"type": "array", "items": {"type": "record", "name": "StreamRecord", "namespace": "mysimbdp",
         "fields": [{"name": "key", "type": "bytes"}, {"name": "value", "type": "bytes"}, {"name": "position", "type": "long"}]}}
        """;

    /// <summary>The partition of a record key: equal keys, equal partitions.</summary>
    public static int PartitionOf(ReadOnlySpan<byte> key, int partitions) => (int)(XxHash32.HashToUInt32(key) % (uint)partitions);

    /// <summary>
    /// Packs records in their order into messages: per partition, a message ends at <paramref name="maxRecords"/>
    /// records, before the record that would take it past <paramref name="maxBytes"/>, and where the source changes.
    /// </summary>
    public static List<(int Partition, StreamRecord First, byte[] Value)> Pack(IReadOnlyList<StreamRecord> records, int partitions, int maxRecords, int maxBytes)
    {
        var messages = new List<(int, StreamRecord, byte[])>();
        var partitionOf = new int[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            partitionOf[i] = PartitionOf(records[i].Key, partitions);
        }

        // One partition at a time through one buffer, so that a request allocates little more than its messages.
        var items = new BinaryEncoder(Math.Min(maxBytes, 16 * 1024));
        var header = new BinaryEncoder(16);
        for (var partition = 0; partition < partitions; partition++)
        {
            StreamRecord? first = null;
            var count = 0;
            for (var i = 0; i < records.Count; i++)
            {
                if (partitionOf[i] != partition)
                {
                    continue;
                }

                var record = records[i];
                var size = record.Key.Length + record.Value.Length + 30;
                if (count > 0 && (count == maxRecords || items.Length + size > maxBytes || first!.Source != record.Source))
                {
                    messages.Add((partition, first!, Close(header, items, count)));
                    count = 0;
                    first = null;
                }

                first ??= record;
                items.WriteBytes(record.Key);
                items.WriteBytes(record.Value);
                items.WriteLong(record.Position);
                count++;
            }

            if (count > 0)
            {
                messages.Add((partition, first!, Close(header, items, count)));
            }
        }

        return messages;
    }

    /// <summary>The message of the <paramref name="count"/> items written: one array block and its end; the items are cleared.</summary>
    private static byte[] Close(BinaryEncoder header, BinaryEncoder items, int count)
    {
        header.Clear();
        header.WriteLong(count);
        var value = new byte[header.Length + items.Length + 1];
        header.Written.CopyTo(value);
        items.Written.CopyTo(value.AsSpan(header.Length));
        items.Clear();
        return value;
    }

    /// <summary>The records a message says it holds (its first block's count), for a consumer's batch bound; 1 when it is no pack.</summary>
    public static int CountOf(byte[]? value, int max)
    {
        try
        {
            var count = new BinaryDecoder(value).ReadLong();
            return count is > 0 && count <= max ? (int)count : count < 0 && -count <= max ? (int)-count : 1;
        }
        catch (AvroDataException)
        {
            return 1;
        }
    }

    /// <summary>Reads a message's records; <see cref="AvroDataException"/> when the value is not a pack.</summary>
    public static void Unpack(ReadOnlySpan<byte> value, string source, List<StreamRecord> into)
    {
        var reader = new BinaryDecoder(value);
        for (var count = reader.ReadBlockCount(3, 0); count != 0; count = reader.ReadBlockCount(3, 0))
        {
            for (var i = 0; i < count; i++)
            {
                var key = reader.ReadBytes();
                var record = reader.ReadBytes();
                into.Add(new StreamRecord(key, record, source, reader.ReadLong()));
            }
        }

        if (!reader.AtEnd)
        {
            throw new AvroDataException($"{reader.Remaining} bytes are left after the records.");
        }
    }
}
