using Coredms;
using Coredms.Sqlite;
using Microsoft.Extensions.Options;

namespace Platform.Tests.Coredms;

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
}
