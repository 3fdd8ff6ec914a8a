namespace Cql.Tests;

/// <summary>Request bodies and response parsing, byte for byte, written from the layouts of the v4 spec (sections 3, 4 and 9).</summary>
public sealed class FrameTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    private static string HexOf(byte[] bytes) => Convert.ToHexStringLower(bytes);

    private static string Str(string s) => Convert.ToHexStringLower([(byte)(s.Length >> 8), (byte)s.Length, .. System.Text.Encoding.UTF8.GetBytes(s)]);

    private static string LongStr(string s) => ((uint)s.Length).ToString("x8") + Convert.ToHexStringLower(System.Text.Encoding.UTF8.GetBytes(s));

    [Fact]
    public void StartupIsAStringMapWithTheCqlVersion() =>
        Assert.Equal("0001" + Str("CQL_VERSION") + Str("3.0.0"), HexOf(Requests.Startup()));

    [Fact]
    public void AuthResponseBytes()
    {
        // [bytes]: length 15, then \0 "cassandra" \0 "pass".
        Assert.Equal("0000000f" + "00" + Convert.ToHexStringLower("cassandra"u8.ToArray()) + "00" + Convert.ToHexStringLower("pass"u8.ToArray()),
            HexOf(Requests.AuthResponse("cassandra", "pass")));
    }

    [Fact]
    public void QueryCarriesItsParametersInFlagOrder()
    {
        var body = Requests.Query("SELECT v FROM t WHERE k = ?",
            new QueryParameters(Consistency.LocalQuorum, [CqlValue.Of(CqlType.Int, 7), CqlValue.Null], PageSize: 100, PagingState: "abc"u8.ToArray(),
                SerialConsistency: Consistency.LocalSerial, Timestamp: 1_700_000_000_000_000));

        // <query><consistency><flags: values|page size|paging state|serial|timestamp = 0x3d><n><values><page size><paging state><serial><timestamp>
        Assert.Equal(LongStr("SELECT v FROM t WHERE k = ?") + "0006" + "3d" + "0002" + "00000004" + "00000007" + "ffffffff"
            + "00000064" + "00000003" + "616263" + "0009" + "00060a24181e4000", HexOf(body));
    }

    [Fact]
    public void QueryWithoutParametersIsConsistencyAndZeroFlags() =>
        Assert.Equal(LongStr("SELECT now() FROM system.local") + "0001" + "00", HexOf(Requests.Query("SELECT now() FROM system.local", new QueryParameters(Consistency.One))));

    [Fact]
    public void PrepareAndExecute()
    {
        Assert.Equal(LongStr("INSERT INTO t (k) VALUES (?)"), HexOf(Requests.Prepare("INSERT INTO t (k) VALUES (?)")));
        var execute = Requests.Execute([0xca, 0xfe], new QueryParameters(Consistency.Quorum, [CqlValue.Of(CqlType.Text, "x")], SkipMetadata: true));
        Assert.Equal("0002cafe" + "0004" + "03" + "0001" + "00000001" + "78", HexOf(execute));
    }

    [Fact]
    public void UnloggedBatchMixesTextAndPreparedStatements()
    {
        var body = Requests.Batch(BatchType.Unlogged,
            [new BatchStatement("INSERT INTO t (k) VALUES (1)", null, []), new BatchStatement(null, [0x01, 0x02], [CqlValue.Of(CqlType.BigInt, 5L)])],
            Consistency.LocalQuorum, timestamp: 42);

        Assert.Equal("01" + "0002" + "00" + LongStr("INSERT INTO t (k) VALUES (1)") + "0000" + "01" + "00020102" + "0001" + "00000008" + "0000000000000005"
            + "0006" + "20" + "000000000000002a", HexOf(body));
    }

    [Fact]
    public void ErrorsAreDecodedWithTheirDetails()
    {
        var unavailable = Parse(Opcode.Error, "00001000" + Str("Cannot achieve consistency") + "0004" + "00000003" + "00000001");
        var e = Assert.IsType<CqlServerException>(unavailable);
        Assert.Equal(CqlErrorCode.Unavailable, e.Code);
        Assert.Equal((Consistency.Quorum, 3, 1), (e.Consistency, e.Required, e.Alive));
        Assert.True(e.IsTransient);

        var write = Assert.IsType<CqlServerException>(Parse(Opcode.Error, "00001100" + Str("timed out") + "0001" + "00000000" + "00000001" + Str("UNLOGGED_BATCH")));
        Assert.Equal((0, 1, "UNLOGGED_BATCH"), (write.Received, write.BlockFor, write.WriteType));

        var read = Assert.IsType<CqlServerException>(Parse(Opcode.Error, "00001200" + Str("timed out") + "000a" + "00000001" + "00000002" + "00"));
        Assert.Equal((Consistency.LocalOne, 1, 2, false), (read.Consistency, read.Received, read.BlockFor, read.DataPresent));

        var readFailure = Assert.IsType<CqlServerException>(Parse(Opcode.Error, "00001300" + Str("failed") + "0004" + "00000001" + "00000002" + "00000001" + "01"));
        Assert.Equal((1, true), (readFailure.Failures, readFailure.DataPresent));

        var writeFailure = Assert.IsType<CqlServerException>(Parse(Opcode.Error, "00001500" + Str("failed") + "0004" + "00000001" + "00000002" + "00000001" + Str("SIMPLE")));
        Assert.Equal((1, "SIMPLE"), (writeFailure.Failures, writeFailure.WriteType));

        var function = Assert.IsType<CqlServerException>(Parse(Opcode.Error, "00001400" + Str("boom") + Str("ks") + Str("f") + "0002" + Str("int") + Str("text")));
        Assert.Equal(("ks", "f"), (function.Keyspace, function.Function));
        Assert.Equal(["int", "text"], function.ArgumentTypes!);

        var exists = Assert.IsType<CqlServerException>(Parse(Opcode.Error, "00002400" + Str("exists") + Str("ks") + Str("t")));
        Assert.Equal(("ks", "t"), (exists.Keyspace, exists.Table));

        var unprepared = Assert.IsType<CqlServerException>(Parse(Opcode.Error, "00002500" + Str("unknown id") + "0002beef"));
        Assert.Equal([0xbe, 0xef], unprepared.UnpreparedId);

        var syntax = Assert.IsType<CqlServerException>(Parse(Opcode.Error, "00002000" + Str("line 1:0 no viable alternative")));
        Assert.Equal(CqlErrorCode.SyntaxError, syntax.Code);
        Assert.False(syntax.IsTransient);
        Assert.Contains("SyntaxError (0x2000): line 1:0", syntax.Message);
    }

    private static object Parse(Opcode opcode, string hex, RowsMetadata? known = null) => CqlResponse.Parse(opcode, Hex(hex), known);

    [Fact]
    public void RowsWithAGlobalTableSpecAndMorePages()
    {
        var body = "00000002" + "00000003" + "00000002" + "00000002" + "7067" + Str("ks") + Str("t")
            + Str("k") + "000d" + Str("v") + "0020" + "0009"
            + "00000002"
            + "00000001" + "61" + "0000000c" + "00000001" + "00000004" + "00000007"
            + "00000001" + "62" + "ffffffff";
        var rows = Assert.IsType<CqlResponse.Rows>(Parse(Opcode.Result, body));

        Assert.Equal("pg"u8.ToArray(), rows.Metadata.PagingState);
        Assert.Equal(["k", "v"], rows.Metadata.Columns.Select(c => c.Name));
        Assert.All(rows.Metadata.Columns, c => Assert.Equal(("ks", "t"), (c.Keyspace, c.Table)));
        Assert.Equal("list<int>", rows.Metadata.Columns[1].Type.ToString());
        Assert.Equal("a", rows.Values[0][0]);
        Assert.Equal([7], ((List<object?>)rows.Values[0][1]!).Cast<int>());
        Assert.Equal("b", rows.Values[1][0]);
        Assert.Null(rows.Values[1][1]);
    }

    [Fact]
    public void RowsWithoutMetadataUseTheStatementsAndPerColumnSpecsWork()
    {
        var known = new RowsMetadata([new CqlColumn("ks", "t", "n", CqlType.BigInt)], null, []);
        var rows = Assert.IsType<CqlResponse.Rows>(Parse(Opcode.Result, "00000002" + "00000004" + "00000001" + "00000001" + "00000008" + "000000000000002a", known));
        Assert.Equal(42L, rows.Values[0][0]);
        Assert.IsType<CqlProtocolException>(Record.Exception(() => Parse(Opcode.Result, "00000002" + "00000004" + "00000001" + "00000000")));

        var perColumn = Assert.IsType<CqlResponse.Rows>(Parse(Opcode.Result, "00000002" + "00000000" + "00000001" + Str("ks") + Str("t") + Str("d") + "0011" + "00000001" + "00000004" + "80000000"));
        Assert.Equal(new DateOnly(1970, 1, 1), perColumn.Values[0][0]);
    }

    [Fact]
    public void PreparedVoidKeyspaceSchemaChangeAndSupported()
    {
        var prepared = Assert.IsType<CqlResponse.Prepared>(Parse(Opcode.Result,
            "00000004" + "0002abcd" + "00000001" + "00000001" + "00000001" + "0000" + Str("ks") + Str("t") + Str("k") + "000d" + "00000004" + "00000000"));
        Assert.Equal([0xab, 0xcd], prepared.Id);
        Assert.Equal([(ushort)0], prepared.Bind.PartitionKeyIndexes);
        Assert.Equal("k", prepared.Bind.Columns.Single().Name);
        Assert.Empty(prepared.Result.Columns);

        Assert.IsType<CqlResponse.Void>(Parse(Opcode.Result, "00000001"));
        Assert.Equal("ks", Assert.IsType<CqlResponse.SetKeyspace>(Parse(Opcode.Result, "00000003" + Str("ks"))).Keyspace);
        var change = Assert.IsType<CqlResponse.SchemaChange>(Parse(Opcode.Result, "00000005" + Str("CREATED") + Str("TABLE") + Str("ks") + Str("t")));
        Assert.Equal(("CREATED", "TABLE", "ks", "t"), (change.Change, change.Target, change.Keyspace, change.Name));
        var keyspace = Assert.IsType<CqlResponse.SchemaChange>(Parse(Opcode.Result, "00000005" + Str("DROPPED") + Str("KEYSPACE") + Str("ks")));
        Assert.Null(keyspace.Name);
        var supported = Assert.IsType<CqlResponse.Supported>(Parse(Opcode.Supported, "0001" + Str("CQL_VERSION") + "0001" + Str("3.4.5")));
        Assert.Equal(["3.4.5"], supported.Options["CQL_VERSION"]);
        Assert.Equal("org.apache.cassandra.auth.PasswordAuthenticator",
            Assert.IsType<CqlResponse.Authenticate>(Parse(Opcode.Authenticate, Str("org.apache.cassandra.auth.PasswordAuthenticator"))).Authenticator);
    }

    [Fact]
    public void CutShortOrUnknownContentIsAProtocolError()
    {
        Assert.Contains("ends inside", Assert.Throws<CqlProtocolException>(() => Parse(Opcode.Result, "000000")).Message);
        Assert.Contains("RESULT kind 0x0009", Assert.Throws<CqlProtocolException>(() => Parse(Opcode.Result, "00000009")).Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("0x0077", Assert.Throws<CqlProtocolException>(() => Parse(Opcode.Result, "00000002" + "00000001" + "00000001" + Str("ks") + Str("t") + Str("c") + "0077")).Message);
        var known = new RowsMetadata([new CqlColumn("k", "t", "c", CqlType.Int)], null, []);
        Assert.Contains("more than the frame can hold", Assert.Throws<CqlProtocolException>(() => Parse(Opcode.Result, "00000002" + "00000004" + "00000001" + "7fffffff", known)).Message);
    }
}
