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
