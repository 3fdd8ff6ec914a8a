using System.Numerics;
using Coredms;
using Platform.Tests.Live;

namespace Platform.Tests.CoredmsTests;

/// <summary>
/// What every coredms engine must do, written once; each engine's test class inherits it. Each test uses a
/// keyspace of its own.
/// </summary>
public abstract class CoredmsContract : IAsyncLifetime
{
    protected ManualClock Clock { get; } = new();

    protected ICoredms Db { get; private set; } = null!;

    protected string Keyspace { get; } = "k" + Guid.NewGuid().ToString("N")[..20];

    protected abstract Task<ICoredms> CreateAsync(ManualClock clock);

    protected virtual Task DropAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        Db = await CreateAsync(Clock);
        await Db.EnsureKeyspaceAsync(Keyspace);
    }

    public async Task DisposeAsync()
    {
        await DropAsync();
        (Db as IDisposable)?.Dispose();
    }

    private TableSchema Readings => new(Keyspace, "readings",
    [
        new Column("sensor", DataType.Int),
        new Column("reading", DataType.BigInt),
        new Column("speed", DataType.Double),
        new Column("note", DataType.Text),
    ], ["sensor"], ["reading"]);

    private static RowBatch Rows(TableSchema table, params object?[][] rows)
    {
        var batch = new RowBatch(table, 2);
        foreach (var row in rows)
        {
            for (var c = 0; c < row.Length; c++)
            {
                batch.SetValue(c, row[c]);
            }

            batch.EndRow();
        }

        return batch;
    }

    private async Task<List<object?[]>> AllAsync(TableSchema table, params object?[] prefix)
    {
        var rows = new List<object?[]>();
        string? state = null;
        do
        {
            var page = await Db.SelectAsync(table, new SelectQuery(prefix, 3, state));
            rows.AddRange(page.Rows);
            state = page.PagingState;
        }
        while (state is not null);

        return rows;
    }

    [ContractFact]
    public async Task UpsertedRowsReadBackByKey()
    {
        await Db.EnsureTableAsync(Readings);
        await Db.UpsertAsync(Rows(Readings, [1, 10L, 50.5, "a"], [1, 11L, 60.0, null], [2, 10L, 70.25, "c"]), null);

        var page = await Db.SelectAsync(Readings, new SelectQuery([1, 11L]));
        var row = Assert.Single(page.Rows);
        Assert.Equal([1, 11L, 60.0, null], row);
        Assert.Null(page.PagingState);
    }

    [ContractFact]
    public async Task TheLaterRowForAKeyWinsWithinABatchAndAcrossBatches()
    {
        await Db.EnsureTableAsync(Readings);
        // The earlier row holds the greater values: on Cassandra, two writes of one cell with the same timestamp keep the greater value.
        await Db.UpsertAsync(Rows(Readings, [1, 1L, 2.0, "b first"], [1, 1L, 1.0, "a second"]), null);
        Assert.Equal([1, 1L, 1.0, "a second"], (await AllAsync(Readings, 1))[0]);

        await Db.UpsertAsync(Rows(Readings, [1, 1L, 3.0, null]), null);
        var row = Assert.Single(await AllAsync(Readings, 1));
        Assert.Equal(3.0, row[2]);
        Assert.Null(row[3]);
    }

    [ContractFact]
    public async Task APartitionReadsInClusteringOrderAcrossPages()
    {
        await Db.EnsureTableAsync(Readings);
        var rows = Enumerable.Range(0, 10).Select(i => new object?[] { 7, (long)(10 - i), (double)i, null }).ToArray();
        await Db.UpsertAsync(Rows(Readings, rows), null);
        await Db.UpsertAsync(Rows(Readings, [8, 1L, 0.0, null]), null);

        var read = await AllAsync(Readings, 7);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), read.Select(r => (long)r[1]!));
    }

    [ContractFact]
    public async Task AScanWithoutAPrefixVisitsEveryRowOnce()
    {
        await Db.EnsureTableAsync(Readings);
        var rows = Enumerable.Range(0, 20).Select(i => new object?[] { i % 4, (long)i, 0.0, null }).ToArray();
        await Db.UpsertAsync(Rows(Readings, rows), null);

        var read = await AllAsync(Readings);
        Assert.Equal(20, read.Count);
        Assert.Equal(20, read.Select(r => (long)r[1]!).Distinct().Count());
    }

    [ContractFact]
    public async Task AForeignPagingStateIsRefused()
    {
        await Db.EnsureTableAsync(Readings);
        await Assert.ThrowsAsync<PagingStateException>(() => Db.SelectAsync(Readings, new SelectQuery([1], 10, "bm90LWEtc3RhdGU")));
    }

    [ContractFact]
    public async Task InsertIfAbsentClaimsAKeyOnce()
    {
        await Db.EnsureTableAsync(Readings);
        Assert.True(await Db.InsertIfAbsentAsync(Rows(Readings, [1, 1L, 1.0, "mine"]), null));
        Assert.False(await Db.InsertIfAbsentAsync(Rows(Readings, [1, 1L, 2.0, "yours"]), null));
        Assert.Equal("mine", (await AllAsync(Readings, 1))[0][3]);
    }

    [ContractFact]
    public async Task UpdateIfAppliesOnlyWhenTheRowHoldsTheExpectedValues()
    {
        await Db.EnsureTableAsync(Readings);
        await Db.UpsertAsync(Rows(Readings, [1, 1L, 1.0, "staged"]), null);

        var staged = new Dictionary<string, object?> { ["note"] = "staged" };
        Assert.True(await Db.UpdateIfAsync(Readings, [1, 1L], new Dictionary<string, object?> { ["note"] = "processing", ["speed"] = 9.0 }, staged));
        Assert.False(await Db.UpdateIfAsync(Readings, [1, 1L], new Dictionary<string, object?> { ["note"] = "stolen" }, staged));
        Assert.False(await Db.UpdateIfAsync(Readings, [1, 2L], new Dictionary<string, object?> { ["note"] = "x" }, new Dictionary<string, object?>()));
        Assert.True(await Db.UpdateIfAsync(Readings, [1, 1L], new Dictionary<string, object?> { ["note"] = null }, new Dictionary<string, object?> { ["note"] = "processing" }));
        Assert.True(await Db.UpdateIfAsync(Readings, [1, 1L], new Dictionary<string, object?> { ["note"] = "done" }, new Dictionary<string, object?> { ["note"] = null }));

        var row = Assert.Single(await AllAsync(Readings, 1));
        Assert.Equal([1, 1L, 9.0, "done"], row);
    }

    [ContractFact]
    public async Task RowsExpireAfterTheirTtlAndTheSweeperRemovesThem()
    {
        await Db.EnsureTableAsync(Readings);
        await Db.UpsertAsync(Rows(Readings, [1, 1L, 1.0, "short"]), TimeSpan.FromDays(1));
        await Db.UpsertAsync(Rows(Readings, [1, 2L, 1.0, "forever"]), null);

        Clock.Advance(TimeSpan.FromHours(23));
        Assert.Equal(2, (await AllAsync(Readings, 1)).Count);

        Clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal("forever", Assert.Single(await AllAsync(Readings, 1))[3]);
        // SQLite removes the one expired row; Cassandra expires rows itself and has nothing to remove. Either way, once.
        Assert.Equal(Db.Engine == "sqlite" ? 1 : 0, await Db.SweepExpiredAsync());
        Assert.Equal(0, await Db.SweepExpiredAsync());
        Assert.True(await Db.InsertIfAbsentAsync(Rows(Readings, [1, 1L, 5.0, "again"]), null));
        Assert.Equal(2, (await AllAsync(Readings, 1)).Count);
    }

    [ContractFact]
    public async Task UpdateIfWithATtlRenewsTheRowsLease()
    {
        await Db.EnsureTableAsync(Readings);
        Assert.True(await Db.InsertIfAbsentAsync(Rows(Readings, [1, 1L, 1.0, "held"]), TimeSpan.FromHours(1)));
        var all = new Dictionary<string, object?> { ["speed"] = 2.0, ["note"] = "renewed" };
        Assert.True(await Db.UpdateIfAsync(Readings, [1, 1L], all, new Dictionary<string, object?> { ["note"] = "held" }, TimeSpan.FromDays(1)));

        Clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal([1, 1L, 2.0, "renewed"], Assert.Single(await AllAsync(Readings, 1)));
        Clock.Advance(TimeSpan.FromDays(1));
        Assert.Empty(await AllAsync(Readings, 1));
        Assert.True(await Db.InsertIfAbsentAsync(Rows(Readings, [1, 1L, 3.0, "next holder"]), TimeSpan.FromHours(1)));
    }

    [ContractFact]
    public async Task DeleteRemovesARowOrAPartition()
    {
        await Db.EnsureTableAsync(Readings);
        await Db.UpsertAsync(Rows(Readings, [1, 1L, 1.0, null], [1, 2L, 1.0, null], [2, 1L, 1.0, null]), null);

        await Db.DeleteAsync(Readings, [1, 1L]);
        Assert.Single(await AllAsync(Readings, 1));
        await Db.DeleteAsync(Readings, [1]);
        Assert.Empty(await AllAsync(Readings, 1));
        Assert.Single(await AllAsync(Readings, 2));
    }

    [ContractFact]
    public async Task DeleteWithoutAKeyEmptiesTheTableAndLeavesOthers()
    {
        var other = new TableSchema(Keyspace, "others", Readings.Columns, Readings.PartitionKey, Readings.ClusteringKey);
        await Db.EnsureTableAsync(Readings);
        await Db.EnsureTableAsync(other);
        await Db.UpsertAsync(Rows(Readings, [1, 1L, 1.0, null], [2, 1L, 1.0, null], [3, 1L, 1.0, null]), null);
        await Db.UpsertAsync(Rows(other, [1, 1L, 1.0, null]), null);

        await Db.DeleteAsync(Readings, []);
        Assert.Empty(await AllAsync(Readings));
        Assert.Single(await AllAsync(other));

        // Writable again at once.
        await Db.UpsertAsync(Rows(Readings, [4, 1L, 1.0, null]), null);
        Assert.Single(await AllAsync(Readings));
    }

    [ContractFact]
    public async Task ADroppedTableIsGoneWithItsRowsAndTheKeyspacesOtherTablesStay()
    {
        var other = new TableSchema(Keyspace, "others", Readings.Columns, Readings.PartitionKey, Readings.ClusteringKey);
        await Db.EnsureTableAsync(Readings);
        await Db.EnsureTableAsync(other);
        await Db.UpsertAsync(Rows(Readings, [1, 1L, 1.0, null], [2, 1L, 1.0, null]), null);
        await Db.UpsertAsync(Rows(other, [1, 1L, 1.0, null]), null);

        await Db.DropTableAsync(Keyspace, other.Name);
        await Db.DropTableAsync(Keyspace, other.Name);
        await Assert.ThrowsAnyAsync<CoredmsException>(() => Db.SelectAsync(other, SelectQuery.All()));
        Assert.Equal(2, (await AllAsync(Readings)).Count);

        // The name is free again, even for another key.
        var again = new TableSchema(Keyspace, "others", Readings.Columns, ["reading"], []);
        await Db.EnsureTableAsync(again);
        Assert.Empty(await AllAsync(again));
    }

    [ContractFact]
    public async Task EveryColumnTypeRoundTrips()
    {
        var table = new TableSchema(Keyspace, "types",
        [
            new Column("id", DataType.Text),
            new Column("b", DataType.Boolean),
            new Column("i", DataType.Int),
            new Column("l", DataType.BigInt),
            new Column("v", DataType.VarInt),
            new Column("f", DataType.Float),
            new Column("d", DataType.Double),
            new Column("m", DataType.Decimal),
            new Column("s", DataType.Text),
            new Column("x", DataType.Blob),
            new Column("u", DataType.Uuid),
            new Column("ts", DataType.Timestamp),
            new Column("dt", DataType.Date),
            new Column("tm", DataType.Time),
            new Column("li", DataType.ListOf(DataType.Int)),
            new Column("mp", DataType.MapOf(DataType.Text, DataType.Double)),
            new Column("nl", DataType.ListOf(DataType.ListOf(DataType.Int))),
            new Column("el", DataType.ListOf(DataType.Text)),
            new Column("em", DataType.MapOf(DataType.Text, DataType.Int)),
        ], ["id"]);
        await Db.EnsureTableAsync(table);
        object?[] values =
        [
            "row", true, int.MinValue, long.MaxValue, BigInteger.Parse("-123456789012345678901234567890"), 1.5f, -0.1, "-12.345",
            "h\u00e9llo \u2603", new byte[] { 0, 255, 7 }, Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"),
            new DateTimeOffset(1969, 7, 20, 20, 17, 40, 123, TimeSpan.Zero), new DateOnly(1900, 1, 1), new TimeOnly(23, 59, 59, 999),
            "[1,2,3]", "{\"a\":1.5}", "[[1,2],[]]", "[]", "{}",
        ];
        await Db.UpsertAsync(Rows(table, values), null);
        await Db.UpsertAsync(Rows(table, ["nulls"]), null);

        var read = Assert.Single((await Db.SelectAsync(table, new SelectQuery(["row"]))).Rows);
        Assert.Equal(values, read);
        Assert.All((await Db.SelectAsync(table, new SelectQuery(["nulls"]))).Rows[0].Skip(1), Assert.Null);
    }

    [ContractFact]
    public async Task EnsureTableAddsNewColumnsButRefusesKeyAndTypeChanges()
    {
        await Db.EnsureTableAsync(Readings);
        await Db.EnsureTableAsync(Readings);
        await Db.UpsertAsync(Rows(Readings, [1, 1L, 1.0, "old"]), null);

        var wider = new TableSchema(Keyspace, "readings", [.. Readings.Columns, new Column("lane", DataType.Int)], ["sensor"], ["reading"]);
        await Db.EnsureTableAsync(wider);
        Assert.Equal([1, 1L, 1.0, "old", null], (await Db.SelectAsync(wider, new SelectQuery([1, 1L]))).Rows[0]);

        var rekeyed = new TableSchema(Keyspace, "readings", Readings.Columns, ["sensor", "reading"]);
        await Assert.ThrowsAsync<CoredmsException>(() => Db.EnsureTableAsync(rekeyed));
        var retyped = new TableSchema(Keyspace, "readings",
            [Readings.Columns[0], Readings.Columns[1], new Column("speed", DataType.Text), Readings.Columns[3]], ["sensor"], ["reading"]);
        await Assert.ThrowsAsync<CoredmsException>(() => Db.EnsureTableAsync(retyped));
    }

    [ContractFact]
    public async Task AnUnknownKeyspaceIsAnError()
    {
        var table = new TableSchema("k" + Guid.NewGuid().ToString("N")[..20], "t", [new Column("id", DataType.Int)], ["id"]);
        await Assert.ThrowsAsync<CoredmsException>(() => Db.EnsureTableAsync(table));
    }

    [ContractFact]
    public async Task DeleteIfRemovesTheRowOnlyWhenItHoldsTheExpectedValues()
    {
        await Db.EnsureTableAsync(Readings);
        await Db.UpsertAsync(Rows(Readings, [1, 1L, 2.0, "mine"], [1, 2L, 2.0, "mine"]), null);

        Assert.False(await Db.DeleteIfAsync(Readings, [1, 1L], new Dictionary<string, object?> { ["note"] = "theirs" }));
        Assert.Equal(2, (await AllAsync(Readings, 1)).Count);
        Assert.True(await Db.DeleteIfAsync(Readings, [1, 1L], new Dictionary<string, object?> { ["note"] = "mine" }));
        Assert.Equal([2L], (await AllAsync(Readings, 1)).Select(r => (long)r[1]!));
        Assert.False(await Db.DeleteIfAsync(Readings, [1, 1L], new Dictionary<string, object?>()));
        Assert.True(await Db.DeleteIfAsync(Readings, [1, 2L], new Dictionary<string, object?>()));
        Assert.Empty(await AllAsync(Readings, 1));
    }

    [ContractFact]
    public async Task ADroppedKeyspaceIsGoneWithItsRowsAndCanBeMadeAgain()
    {
        await Db.EnsureTableAsync(Readings);
        await Db.UpsertAsync(Rows(Readings, [1, 1L, 2.0, "a"]), null);

        await Db.DropKeyspaceAsync(Keyspace);
        await Db.DropKeyspaceAsync(Keyspace);
        await Assert.ThrowsAsync<CoredmsException>(() => Db.EnsureTableAsync(Readings));
        Assert.Equal(0, await Db.SizeAsync(Keyspace));

        await Db.EnsureKeyspaceAsync(Keyspace);
        await Db.EnsureTableAsync(Readings);
        Assert.Empty(await AllAsync(Readings, 1));
    }

    /// <summary>The size is an estimate that may lag (Cassandra refreshes it every few minutes): once the engine has refreshed it, the rows are in it.</summary>
    [ContractFact]
    public async Task SizeGrowsAsRowsArrive()
    {
        await Db.EnsureTableAsync(Readings);
        var before = await Db.SizeAsync(Keyspace);
        var rows = Enumerable.Range(0, 5000).Select(i => new object?[] { 1, (long)i, 1.0, new string('x', 100) }).ToArray();
        await Db.UpsertAsync(Rows(Readings, rows), null);
        Clock.Advance(TimeSpan.FromMinutes(10));
        Assert.True(await Db.SizeAsync(Keyspace) > before + 100_000);
    }
}
