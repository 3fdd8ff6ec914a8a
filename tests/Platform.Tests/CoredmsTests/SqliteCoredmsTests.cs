using Coredms;
using Coredms.Sqlite;
using Microsoft.Extensions.Options;

namespace Platform.Tests.CoredmsTests;

public sealed class SqliteCoredmsTests : CoredmsContract
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mysimbdp-tests", "coredms-" + Guid.NewGuid().ToString("N"));

    protected override Task<ICoredms> CreateAsync(ManualClock clock) =>
        Task.FromResult<ICoredms>(new SqliteCoredms(Options.Create(new SqliteOptions { DataDirectory = _directory }), new DataClock(clock)));

    protected override Task DropAsync()
    {
        (Db as IDisposable)?.Dispose();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task EachKeyspaceIsItsOwnDatabaseFile()
    {
        await Db.EnsureKeyspaceAsync("another_one");
        Assert.True(File.Exists(Path.Combine(_directory, Keyspace + ".db")));
        Assert.True(File.Exists(Path.Combine(_directory, "another_one.db")));
    }

    /// <summary>
    /// A keyspace spreads its partitions over the shard count it was made with, and keeps it when the setting changes;
    /// a scan pages across the shards and returns every row once; a read by partition finds its rows in its shard.
    /// </summary>
    [Fact]
    public async Task AKeyspaceKeepsItsShardsAndAScanPagesAcrossThemReturningEveryRowOnce()
    {
        var directory = Path.Combine(_directory, "sharded");
        var table = new TableSchema("spread", "readings", [new Column("sensor", DataType.Int), new Column("reading", DataType.Int), new Column("v", DataType.Text)],
            ["sensor"], ["reading"]);
        using (var three = new SqliteCoredms(Options.Create(new SqliteOptions { DataDirectory = directory, Shards = 3 }), new DataClock(Clock)))
        {
            await three.EnsureKeyspaceAsync("spread");
            await three.EnsureTableAsync(table);
            var rows = new RowBatch(table, 1000);
            for (var i = 0; i < 1000; i++)
            {
                rows.SetValue(0, i % 97);
                rows.SetValue(1, i);
                rows.SetValue(2, "v" + i);
                rows.EndRow();
            }

            await three.UpsertAsync(rows, null);
        }

        Assert.Equal(["spread.1.db", "spread.2.db", "spread.db"], Directory.GetFiles(directory, "*.db").Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using var one = new SqliteCoredms(Options.Create(new SqliteOptions { DataDirectory = directory, Shards = 1 }), new DataClock(Clock));
        var seen = new List<int>();
        string? state = null;
        var pages = 0;
        do
        {
            var page = await one.SelectAsync(table, new SelectQuery([], 7, state));
            seen.AddRange(page.Rows.Select(r => (int)r[1]!));
            state = page.PagingState;
            pages++;
        }
        while (state is not null);

        Assert.Equal(Enumerable.Range(0, 1000), seen.Order());
        Assert.InRange(pages, 143, 146);
        var partition = await one.SelectAsync(table, new SelectQuery([5], 100));
        Assert.Equal(Enumerable.Range(0, 1000).Where(i => i % 97 == 5), partition.Rows.Select(r => (int)r[1]!));
        await Assert.ThrowsAsync<PagingStateException>(() => one.SelectAsync(table, new SelectQuery([], 7, "3.")));
        await one.DeleteAsync(table, []);
        Assert.Empty((await one.SelectAsync(table, new SelectQuery([], 10))).Rows);
        await one.DropKeyspaceAsync("spread");
        Assert.Empty(Directory.GetFiles(directory));
    }

    [Fact]
    public async Task ConditionalUpdatesWithATtlReuseOneCachedStatement()
    {
        var locks = new TableSchema(Keyspace, "locks", [new Column("tenant", DataType.Text), new Column("owner", DataType.Text)], ["tenant"]);
        await Db.EnsureTableAsync(locks);
        var row = new RowBatch(locks, 1);
        row.SetValue(0, "t");
        row.SetValue(1, "me");
        row.EndRow();
        await Db.InsertIfAbsentAsync(row, TimeSpan.FromSeconds(60));
        var sqlite = (SqliteCoredms)Db;

        await RenewAsync();
        var cached = sqlite.CachedStatements(Keyspace);
        for (var i = 0; i < 50; i++)
        {
            Clock.Advance(TimeSpan.FromMilliseconds(7));
            await RenewAsync();
        }

        // Each renewal expires at another time; a literal in the SQL made each one a new statement, kept for good.
        Assert.Equal(cached, sqlite.CachedStatements(Keyspace));

        async Task RenewAsync() => Assert.True(await Db.UpdateIfAsync(locks, ["t"], new Dictionary<string, object?> { ["owner"] = "me" },
            new Dictionary<string, object?> { ["owner"] = "me" }, TimeSpan.FromSeconds(60)));
    }
}
