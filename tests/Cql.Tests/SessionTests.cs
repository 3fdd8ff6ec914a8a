namespace Cql.Tests;

/// <summary>
/// The session's statement handling against a scripted stand-in node: prepare once, prepare again on
/// UNPREPARED, bind values by the prepared types, page by paging state, retry idempotent statements on
/// transient errors and never the others, batch prepared statements unlogged.
/// </summary>
public sealed class SessionTests
{
    private static byte[] Body(Action<ProtocolWriter> write)
    {
        var w = new ProtocolWriter();
        write(w);
        return w.ToArray();
    }

    private static byte[] Prepared(byte id, params (string Name, CqlTypeId Type)[] bind) => Body(w =>
    {
        w.Int(4);
        w.ShortBytes([id]);
        w.Int(1);
        w.Int(bind.Length);
        w.Int(0);
        w.String("ks");
        w.String("t");
        foreach (var (name, type) in bind)
        {
            w.String(name);
            w.Short((ushort)type);
        }

        w.Int(4);
        w.Int(0);
    });

    private static byte[] Rows(byte[]? pagingState, params int[] values) => Body(w =>
    {
        w.Int(2);
        w.Int(1 | (pagingState is null ? 0 : 2));
        w.Int(1);
        if (pagingState is not null)
        {
            w.Bytes(pagingState);
        }

        w.String("ks");
        w.String("t");
        w.String("n");
        w.Short((ushort)CqlTypeId.Int);
        w.Int(values.Length);
        foreach (var v in values)
        {
            w.Bytes(CqlCodec.Encode(CqlType.Int, v));
        }
    });

    private static byte[] Error(CqlErrorCode code, string message, Action<ProtocolWriter>? extra = null) => Body(w =>
    {
        w.Int((int)code);
        w.String(message);
        extra?.Invoke(w);
    });

    private static (FakeNode Node, List<ReceivedFrame> Got) Serve(Func<ReceivedFrame, (Opcode, byte[])> answer)
    {
        var node = new FakeNode();
        return (node, node.Serve(answer));
    }

    private static CqlSessionOptions Options(FakeNode node) => new() { ContactPoints = $"127.0.0.1:{node.Port}", ConnectionsPerNode = 1, Consistency = Consistency.Quorum, DiscoverNodes = false };

    [Fact]
    public async Task AStatementIsPreparedOnceAndItsValuesBoundByThePreparedTypes()
    {
        var (node, got) = Serve(f => f.Opcode == Opcode.Prepare ? (Opcode.Result, Prepared(7, ("k", CqlTypeId.BigInt))) : (Opcode.Result, Rows(null, 1)));
        await using var __ = node;
        await using var session = await CqlSession.ConnectAsync(Options(node));

        await session.ExecuteAsync("SELECT n FROM ks.t WHERE k = ?", [5L], idempotent: true);
        var result = await session.ExecuteAsync("SELECT n FROM ks.t WHERE k = ?", [6L], idempotent: true);

        Assert.Equal(1, result.Rows.Single()[0]);
        Assert.Equal([Opcode.Prepare, Opcode.Execute, Opcode.Execute], got.Select(f => f.Opcode));
        Assert.Equal(Requests.Execute([7], new QueryParameters(Consistency.Quorum, [CqlValue.Of(CqlType.BigInt, 6L)], SerialConsistency: Consistency.LocalSerial)), got[2].Body);
        await Assert.ThrowsAsync<ArgumentException>(() => session.ExecuteAsync("SELECT n FROM ks.t WHERE k = ?", [], idempotent: true));
    }

    [Fact]
    public async Task UnpreparedMeansPrepareAgainAndExecuteOnceMore()
    {
        var executes = 0;
        var (node, got) = Serve(f => f.Opcode switch
        {
            Opcode.Prepare => (Opcode.Result, Prepared(9, ("k", CqlTypeId.Int))),
            _ => Interlocked.Increment(ref executes) == 1
                ? (Opcode.Error, Error(CqlErrorCode.Unprepared, "Prepared query with ID 09 not found", w => w.ShortBytes([9])))
                : (Opcode.Result, Rows(null, 3)),
        });
        await using var __ = node;
        await using var session = await CqlSession.ConnectAsync(Options(node));

        var result = await session.ExecuteAsync("SELECT n FROM ks.t WHERE k = ?", [1], idempotent: false);

        Assert.Equal(3, result.Rows.Single()[0]);
        Assert.Equal([Opcode.Prepare, Opcode.Execute, Opcode.Prepare, Opcode.Execute], got.Select(f => f.Opcode));
    }

    [Fact]
    public async Task PagesFollowThePagingState()
    {
        var (node, got) = Serve(f =>
        {
            if (f.Opcode == Opcode.Prepare)
            {
                return (Opcode.Result, Prepared(1, ("k", CqlTypeId.Int)));
            }

            var hasState = (f.Body[2 + 1 + 2] & 0x08) != 0;
            return (Opcode.Result, hasState ? Rows(null, 3) : Rows("p1"u8.ToArray(), 1, 2));
        });
        await using var __ = node;
        await using var session = await CqlSession.ConnectAsync(Options(node));

        var first = await session.ExecuteAsync("SELECT n FROM ks.t WHERE k = ?", [1], idempotent: true, pageSize: 2);
        Assert.Equal("p1"u8.ToArray(), first.PagingState);
        var second = await session.ExecuteAsync("SELECT n FROM ks.t WHERE k = ?", [1], idempotent: true, pageSize: 2, pagingState: first.PagingState);
        Assert.Null(second.PagingState);
        Assert.Equal([1, 2, 3], first.Rows.Concat(second.Rows).Select(r => (int)r[0]!));
        Assert.Equal(Requests.Execute([1], new QueryParameters(Consistency.Quorum, [CqlValue.Of(CqlType.Int, 1)], 2, "p1"u8.ToArray(), Consistency.LocalSerial)),
            got[^1].Body);
    }

    [Fact]
    public async Task IdempotentStatementsAreRetriedOnTransientErrorsAndOthersAreNot()
    {
        var failuresLeft = 2;
        var (node, got) = Serve(f => f.Opcode switch
        {
            Opcode.Prepare => (Opcode.Result, Prepared(2, ("k", CqlTypeId.Int))),
            _ => Interlocked.Decrement(ref failuresLeft) >= 0
                ? (Opcode.Error, Error(CqlErrorCode.WriteTimeout, "timed out", w => { w.Short(4); w.Int(1); w.Int(2); w.String("SIMPLE"); }))
                : (Opcode.Result, Body(w => w.Int(1))),
        });
        await using var __ = node;
        await using var session = await CqlSession.ConnectAsync(Options(node));

        await session.ExecuteAsync("INSERT INTO ks.t (k) VALUES (?)", [1], idempotent: true);
        Assert.Equal(3, got.Count(f => f.Opcode == Opcode.Execute));

        failuresLeft = 1;
        var error = await Assert.ThrowsAsync<CqlServerException>(() => session.ExecuteAsync("INSERT INTO ks.t (k) VALUES (?)", [1], idempotent: false));
        Assert.Equal(CqlErrorCode.WriteTimeout, error.Code);
        Assert.Equal(4, got.Count(f => f.Opcode == Opcode.Execute));

        var syntax = 0;
        var (other, _) = Serve(_ => (Opcode.Error, Error(CqlErrorCode.SyntaxError, $"bad {Interlocked.Increment(ref syntax)}")));
        await using var ___ = other;
        await using var strict = await CqlSession.ConnectAsync(Options(other));
        await Assert.ThrowsAsync<CqlServerException>(() => strict.QueryAsync("SELEC"));
        Assert.Equal(1, syntax);
    }

    [Fact]
    public async Task ANodeThatWillNotShowItsPeersLeavesTheContactPoints()
    {
        var (node, got) = Serve(f => (Opcode.Error, Error(CqlErrorCode.Unauthorized, "User has no SELECT permission on <table system.local>")));
        await using var __ = node;
        await using var session = await CqlSession.ConnectAsync(Options(node) with { DiscoverNodes = true });

        Assert.Equal([$"127.0.0.1:{node.Port}"], session.Nodes);
        Assert.Equal(Opcode.Query, Assert.Single(got).Opcode);
    }

    [Fact]
    public async Task ABatchIsUnloggedOfPreparedStatements()
    {
        var (node, got) = Serve(f => f.Opcode == Opcode.Prepare
            ? (Opcode.Result, Prepared(4, ("k", CqlTypeId.Int), ("v", CqlTypeId.Varchar)))
            : (Opcode.Result, Body(w => w.Int(1))));
        await using var __ = node;
        await using var session = await CqlSession.ConnectAsync(Options(node));

        await session.ExecuteBatchAsync([("INSERT INTO ks.t (k, v) VALUES (?, ?)", [1, "a"]), ("INSERT INTO ks.t (k, v) VALUES (?, ?)", [1, "b"])], idempotent: true, timestamp: 99);

        var batch = got.Single(f => f.Opcode == Opcode.Batch);
        Assert.Equal(Requests.Batch(BatchType.Unlogged,
            [new BatchStatement(null, [4], [CqlValue.Of(CqlType.Int, 1), CqlValue.Of(CqlType.Text, "a")]), new BatchStatement(null, [4], [CqlValue.Of(CqlType.Int, 1), CqlValue.Of(CqlType.Text, "b")])],
            Consistency.Quorum, null, 99), batch.Body);
    }
}
