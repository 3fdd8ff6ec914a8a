using CqlStandIn;

namespace Cql.Tests;

/// <summary>
/// The stand-in cluster keeps Cassandra's rules where the engine's tests rely on them: what it refuses, which
/// write wins, how pages end, which batches warn or fail, how collections come back.
/// </summary>
public sealed class StandInTests : IAsyncLifetime
{
    private readonly StandInCluster _cluster = StandInCluster.Start();
    private CqlSession _session = null!;

    public async Task InitializeAsync()
    {
        _session = await CqlSession.ConnectAsync(new CqlSessionOptions { ContactPoints = _cluster.ContactPoint, ConnectionsPerNode = 1, Retries = 1 });
        await _session.QueryAsync("CREATE KEYSPACE k WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
        await _session.QueryAsync("CREATE TABLE k.t (a text, b int, c bigint, v text, l list<int>, f frozen<list<int>>, s frozen<set<text>>, PRIMARY KEY ((a, b), c))");
    }

    public async Task DisposeAsync()
    {
        await _session.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    private async Task<CqlServerException> RefusedAsync(string cql, params object?[] values) =>
        await Assert.ThrowsAsync<CqlServerException>(() => _session.ExecuteAsync(cql, values, idempotent: false));

    [Fact]
    public async Task WhatCassandraRefusesIsRefused()
    {
        Assert.Equal(CqlErrorCode.Invalid, (await RefusedAsync("SELECT v FROM k.t WHERE a = ?", "x")).Code);
        Assert.Equal(CqlErrorCode.Invalid, (await RefusedAsync("SELECT v FROM k.t WHERE a = ? AND b = ? AND v = ?", "x", 1, "y")).Code);
        Assert.Equal(CqlErrorCode.Invalid, (await RefusedAsync("INSERT INTO k.t (a, b, v) VALUES (?, ?, ?)", "x", 1, "y")).Code);
        Assert.Equal(CqlErrorCode.Invalid, (await RefusedAsync("UPDATE k.t SET c = ? WHERE a = ? AND b = ?", 1L, "x", 1)).Code);
        Assert.Equal(CqlErrorCode.SyntaxError, (await RefusedAsync("UPDATE k.t SET v = ? WHERE a = ? AND b = ? AND c = ? IF", "y", "x", 1, 1L)).Code);
        Assert.Equal(CqlErrorCode.Invalid, (await RefusedAsync("SELECT v FROM k.nope")).Code);
        var nested = await Assert.ThrowsAsync<CqlServerException>(() => _session.QueryAsync("CREATE TABLE k.n (id int PRIMARY KEY, x list<list<int>>)"));
        Assert.Contains("Non-frozen collections", nested.Message, StringComparison.Ordinal);
        Assert.Equal(CqlErrorCode.AlreadyExists, (await Assert.ThrowsAsync<CqlServerException>(() => _session.QueryAsync("CREATE TABLE k.t (id int PRIMARY KEY)"))).Code);
    }

    [Fact]
    public async Task TheHigherTimestampWinsAndADeletionShadowsOlderWrites()
    {
        const string insert = "INSERT INTO k.t (a, b, c, v) VALUES (?, ?, ?, ?) USING TIMESTAMP ?";
        await _session.ExecuteAsync(insert, ["p", 1, 1L, "newer", 2000L], idempotent: true);
        await _session.ExecuteAsync(insert, ["p", 1, 1L, "older", 1000L], idempotent: true);
        await _session.ExecuteAsync(insert, ["p", 1, 2L, "a", 3000L], idempotent: true);
        await _session.ExecuteAsync(insert, ["p", 1, 2L, "b", 3000L], idempotent: true);
        await _session.ExecuteAsync("DELETE FROM k.t USING TIMESTAMP ? WHERE a = ? AND b = ?", [2500L, "p", 1], idempotent: true);
        await _session.ExecuteAsync(insert, ["p", 1, 3L, "under the deletion", 2400L], idempotent: true);

        var rows = (await _session.ExecuteAsync("SELECT c, v FROM k.t WHERE a = ? AND b = ?", ["p", 1], idempotent: true)).Rows;
        Assert.Equal([2L, "b"], Assert.Single(rows));
    }

    [Fact]
    public async Task AFullPageCarriesAPagingStateEvenWhenNothingFollows()
    {
        for (var c = 0L; c < 6; c++)
        {
            await _session.ExecuteAsync("INSERT INTO k.t (a, b, c) VALUES (?, ?, ?)", ["p", 1, c], idempotent: true);
        }

        const string select = "SELECT c FROM k.t WHERE a = ? AND b = ?";
        var first = await _session.ExecuteAsync(select, ["p", 1], idempotent: true, pageSize: 3);
        var second = await _session.ExecuteAsync(select, ["p", 1], idempotent: true, pageSize: 3, pagingState: first.PagingState);
        var third = await _session.ExecuteAsync(select, ["p", 1], idempotent: true, pageSize: 3, pagingState: second.PagingState);
        Assert.Equal([0L, 1L, 2L, 3L, 4L, 5L], first.Rows.Concat(second.Rows).Select(r => (long)r[0]!));
        Assert.NotNull(second.PagingState);
        Assert.Empty(third.Rows);
        Assert.Null(third.PagingState);
    }

    [Fact]
    public async Task LargeMultiPartitionBatchesWarnOrFailAndSinglePartitionOnesDoNot()
    {
        const string insert = "INSERT INTO k.t (a, b, c, v) VALUES (?, ?, ?, ?)";
        var text = new string('x', 1000);
        List<(string, IReadOnlyList<object?>)> Batch(int rows, bool spread) =>
            Enumerable.Range(0, rows).Select(i => (insert, (IReadOnlyList<object?>)[spread ? "p" + i : "p", 1, (long)i, text])).ToList();

        await _session.ExecuteBatchAsync(Batch(60, spread: false), idempotent: true);
        Assert.Empty(_cluster.Data.Warnings);
        await _session.ExecuteBatchAsync(Batch(8, spread: true), idempotent: true);
        Assert.Contains("exceeding specified threshold", Assert.Single(_cluster.Data.Warnings), StringComparison.Ordinal);
        var tooLarge = await Assert.ThrowsAsync<CqlServerException>(() => _session.ExecuteBatchAsync(Batch(60, spread: true), idempotent: true));
        Assert.Contains("Batch too large", tooLarge.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEmptyCollectionIsNullUnlessFrozenAndSetsComeBackSorted()
    {
        await _session.ExecuteAsync("INSERT INTO k.t (a, b, c, l, f, s) VALUES (?, ?, ?, ?, ?, ?)",
            ["p", 1, 1L, new List<object?>(), new List<object?>(), new List<object?> { "b", "a", "b" }], idempotent: true);
        var row = Assert.Single((await _session.ExecuteAsync("SELECT l, f, s FROM k.t WHERE a = ? AND b = ?", ["p", 1], idempotent: true)).Rows);
        Assert.Null(row[0]);
        Assert.Empty((List<object?>)row[1]!);
        Assert.Equal(["a", "b"], (List<object?>)row[2]!);
    }
}
