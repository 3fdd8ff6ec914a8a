using System.Numerics;
using Coredms;
using Coredms.Cassandra;
using Microsoft.Extensions.Options;

namespace Cql.Tests;

/// <summary>
/// The Cassandra coredms engine where no server is needed: the CQL it generates, coredms values to CQL values
/// and back, and what it sends for an upsert (a scripted stand-in node answers).
/// </summary>
public sealed class CassandraEngineTests
{
    private static readonly TableSchema Readings = new("t8_client_a_tracking", "speedreading",
    [
        new Column("sensor_id", DataType.Int),
        new Column("reading_id", DataType.BigInt),
        new Column("speed", DataType.Double),
        new Column("tags", DataType.ListOf(DataType.Text)),
        new Column("extra", DataType.MapOf(DataType.Text, DataType.Double)),
    ], ["sensor_id"], ["reading_id"]);

    [Fact]
    public void KeyspacesTablesAndStatementsAreQuotedCql()
    {
        Assert.Equal("""CREATE KEYSPACE IF NOT EXISTS "t8_client_a_tracking" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}""",
            CassandraCql.CreateKeyspace("t8_client_a_tracking", new CassandraOptions()));
        Assert.Equal("""CREATE KEYSPACE IF NOT EXISTS "k" WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 2}""",
            CassandraCql.CreateKeyspace("k", new CassandraOptions { Replication = "NetworkTopologyStrategy", DataCenters = "dc1:3, dc2:2" }));
        Assert.Equal("""CREATE TABLE IF NOT EXISTS "t8_client_a_tracking"."speedreading" ("sensor_id" int, "reading_id" bigint, "speed" double, "tags" frozen<list<text>>, "extra" frozen<map<text, double>>, PRIMARY KEY (("sensor_id"), "reading_id"))""",
            CassandraCql.CreateTable(Readings));
        Assert.Equal("""INSERT INTO "t8_client_a_tracking"."speedreading" ("sensor_id", "reading_id", "speed", "tags", "extra") VALUES (?, ?, ?, ?, ?) USING TTL ?""",
            CassandraCql.Insert(Readings));
        Assert.EndsWith(" IF NOT EXISTS USING TTL ?", CassandraCql.Insert(Readings, ifNotExists: true), StringComparison.Ordinal);
        Assert.Equal("""UPDATE "t8_client_a_tracking"."speedreading" USING TTL ? SET "speed" = ? WHERE "sensor_id" = ? AND "reading_id" = ? IF "tags" = ?""",
            CassandraCql.Update(Readings, ["speed"], ["tags"]));
        Assert.EndsWith(""" WHERE "sensor_id" = ? AND "reading_id" = ? IF EXISTS""", CassandraCql.Update(Readings, ["speed"], []), StringComparison.Ordinal);
        Assert.Equal("""SELECT "sensor_id", "reading_id", "speed", "tags", "extra" FROM "t8_client_a_tracking"."speedreading" WHERE "sensor_id" = ?""", CassandraCql.Select(Readings, 1));
        Assert.EndsWith("""FROM "t8_client_a_tracking"."speedreading" """.TrimEnd(), CassandraCql.Select(Readings, 0), StringComparison.Ordinal);
        Assert.DoesNotContain("WHERE", CassandraCql.Select(Readings, 0), StringComparison.Ordinal);
        Assert.Equal("""DELETE FROM "t8_client_a_tracking"."speedreading" WHERE "sensor_id" = ? AND "reading_id" = ?""", CassandraCql.Delete(Readings, 2));
        var composite = new TableSchema("k", "t", [new Column("a", DataType.Text), new Column("b", DataType.Text), new Column("c", DataType.Int)], ["a", "b"], ["c"]);
        Assert.Contains("""PRIMARY KEY (("a", "b"), "c")""", CassandraCql.CreateTable(composite), StringComparison.Ordinal);
        Assert.Equal("\"we\"\"ird\"", CassandraCql.Quote("we\"ird"));
    }

    [Fact]
    public void CoredmsValuesBecomeCqlValuesAndComeBackTheSame()
    {
        var cases = new (DataType Type, object Value)[]
        {
            (DataType.Decimal, "-12.345"),
            (DataType.Decimal, "1000"),
            (DataType.Decimal, "0.001"),
            (DataType.Time, new TimeOnly(23, 59, 59, 999)),
            (DataType.ListOf(DataType.Int), "[1,2,3]"),
            (DataType.ListOf(DataType.Text), "[\"a\",\"b\"]"),
            (DataType.SetOf(DataType.BigInt), "[5,7]"),
            (DataType.MapOf(DataType.Text, DataType.Double), "{\"a\":1.5,\"b\":-2}"),
            (DataType.MapOf(DataType.Int, DataType.Text), "{\"1\":\"x\"}"),
            (DataType.VarInt, BigInteger.Parse("-123456789012345678901234567890", System.Globalization.CultureInfo.InvariantCulture)),
            (DataType.Uuid, Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e")),
        };
        foreach (var (type, value) in cases)
        {
            var cql = CassandraCql.ToCql(type, value);
            var cqlType = type.Kind switch
            {
                DataTypeKind.Decimal => CqlType.Of(CqlTypeId.Decimal),
                DataTypeKind.Time => CqlType.Of(CqlTypeId.Time),
                DataTypeKind.VarInt => CqlType.Of(CqlTypeId.Varint),
                DataTypeKind.Uuid => CqlType.Of(CqlTypeId.Uuid),
                DataTypeKind.List => CqlType.ListOf(Of(type.Element!)),
                DataTypeKind.Set => CqlType.SetOf(Of(type.Element!)),
                _ => CqlType.MapOf(Of(type.Key!), Of(type.Element!)),
            };
            var back = CassandraCql.FromCql(type, CqlCodec.Decode(cqlType, CqlCodec.Encode(cqlType, cql!)));
            Assert.Equal(value, back);
        }
    }

    private static CqlType Of(DataType type) => type.Kind switch
    {
        DataTypeKind.Int => CqlType.Int,
        DataTypeKind.BigInt => CqlType.BigInt,
        DataTypeKind.Double => CqlType.Double,
        _ => CqlType.Text,
    };

    [Fact]
    public async Task AnUpsertSendsTheLastRowOfEachKeyInUnloggedBatchesPerPartitionWithOneTimestampAndTheTtl()
    {
        await using var node = new FakeNode();
        var got = node.Serve(frame =>
        {
            var body = new ProtocolWriter();
            if (frame.Opcode == Opcode.Prepare)
            {
                body.Int(4);
                body.ShortBytes([1]);
                body.Int(1);
                body.Int(6);
                body.Int(1);
                body.Short(0);
                body.String(Readings.Keyspace);
                body.String(Readings.Name);
                foreach (var (name, type) in new[] { ("sensor_id", CqlTypeId.Int), ("reading_id", CqlTypeId.BigInt), ("speed", CqlTypeId.Double) })
                {
                    body.String(name);
                    body.Short((ushort)type);
                }

                body.String("tags");
                body.Short((ushort)CqlTypeId.List);
                body.Short((ushort)CqlTypeId.Varchar);
                body.String("extra");
                body.Short((ushort)CqlTypeId.Map);
                body.Short((ushort)CqlTypeId.Varchar);
                body.Short((ushort)CqlTypeId.Double);
                body.String("[ttl]");
                body.Short((ushort)CqlTypeId.Int);
                body.Int(4);
                body.Int(0);
            }
            else
            {
                body.Int(1);
            }

            return (Opcode.Result, body.ToArray());
        });

        await using var engine = new CassandraCoredms(Options.Create(new CassandraOptions { ContactPoints = $"127.0.0.1:{node.Port}", BatchRows = 2, Consistency = "QUORUM", ConnectionsPerNode = 1, DiscoverNodes = false }), DataClock.Real);
        var rows = new RowBatch(Readings, 8);
        foreach (var (sensor, reading, speed) in new[] { (1, 1L, 10.0), (1, 2L, 20.0), (2, 1L, 30.0), (1, 1L, 11.0), (1, 3L, 40.0) })
        {
            rows.SetValue(0, sensor);
            rows.SetValue(1, reading);
            rows.SetValue(2, speed);
            rows.SetValue(3, "[\"x\"]");
            rows.EndRow();
        }

        await engine.UpsertAsync(rows, TimeSpan.FromDays(30));

        var batches = got.Where(f => f.Opcode == Opcode.Batch).Select(Decode).ToList();
        Assert.Equal(3, batches.Count);
        Assert.All(batches, b => Assert.Equal(BatchType.Unlogged, b.Type));
        Assert.Single(batches.Select(b => b.Timestamp).Distinct());
        Assert.All(batches, b => Assert.Single(b.Rows.Select(r => r.Sensor).Distinct()));
        var sent = batches.SelectMany(b => b.Rows).OrderBy(r => r.Sensor).ThenBy(r => r.Reading).ToList();
        Assert.Equal([(1, 1L, 11.0), (1, 2L, 20.0), (1, 3L, 40.0), (2, 1L, 30.0)], sent.Select(r => (r.Sensor, r.Reading, r.Speed)));
        Assert.All(sent, r => Assert.Equal(30 * 86_400, r.Ttl));
    }

    private sealed record SentRow(int Sensor, long Reading, double Speed, int Ttl);

    private static (BatchType Type, long Timestamp, List<SentRow> Rows) Decode(ReceivedFrame frame)
    {
        var r = new ProtocolReader(frame.Body);
        var type = (BatchType)r.Byte();
        var count = r.Short();
        var rows = new List<SentRow>();
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(1, r.Byte());
            r.ShortBytes();
            var values = new List<byte[]?>();
            for (var n = r.Short(); n > 0; n--)
            {
                values.Add(r.Bytes());
            }

            rows.Add(new SentRow((int)CqlCodec.Decode(CqlType.Int, values[0]), (long)CqlCodec.Decode(CqlType.BigInt, values[1]),
                (double)CqlCodec.Decode(CqlType.Double, values[2]), (int)CqlCodec.Decode(CqlType.Int, values[5]!)));
        }

        Assert.Equal((ushort)Consistency.Quorum, r.Short());
        Assert.Equal(0x20, r.Byte());
        return (type, r.Long(), rows);
    }
}
