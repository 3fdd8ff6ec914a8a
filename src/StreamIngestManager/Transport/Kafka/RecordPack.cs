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
        var open = new (BinaryEncoder Items, int Count, StreamRecord? First)[partitions];
        var header = new BinaryEncoder(16);

        void Close(int partition)
        {
            ref var message = ref open[partition];
            if (message.Count == 0)
            {
                return;
            }

            header.Clear();
            header.WriteLong(message.Count);
            var value = new byte[header.Length + message.Items.Length + 1];
            header.Written.CopyTo(value);
            message.Items.Written.CopyTo(value.AsSpan(header.Length));
            messages.Add((partition, message.First!, value));
            message.Items.Clear();
            message.Count = 0;
            message.First = null;
        }

        foreach (var record in records)
        {
            var partition = PartitionOf(record.Key, partitions);
            ref var message = ref open[partition];
            message.Items ??= new BinaryEncoder(Math.Min(maxBytes, 64 * 1024));
            var size = record.Key.Length + record.Value.Length + 30;
            if (message.Count > 0 && (message.Count == maxRecords || message.Items.Length + size > maxBytes || message.First!.Source != record.Source))
            {
                Close(partition);
            }

            message.First ??= record;
            message.Items.WriteBytes(record.Key);
            message.Items.WriteBytes(record.Value);
            message.Items.WriteLong(record.Position);
            message.Count++;
        }

        for (var partition = 0; partition < partitions; partition++)
        {
            Close(partition);
        }

        return messages;
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
