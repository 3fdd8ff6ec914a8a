using Catalog;
using Catalog.Runs;
using Coredms;
using Coredms.Sqlite;
using Microsoft.Extensions.Options;

namespace Platform.Tests.CatalogTests;

/// <summary>The per-tenant run lock: taken over from a holder that is gone, and never released by a holder that lost it.</summary>
public sealed class RunLockTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("run-locks-").FullName;
    private readonly SqliteCoredms _coredms;
    private readonly RunCatalog _runs;

    public RunLockTests()
    {
        _coredms = new SqliteCoredms(Options.Create(new SqliteOptions { DataDirectory = _directory }), DataClock.Real);
        PlatformTables.EnsureAsync(_coredms, CancellationToken.None).GetAwaiter().GetResult();
        _runs = new RunCatalog(_coredms, DataClock.Real);
    }

    [Fact]
    public async Task AHolderThatLostTheLockCannotReleaseTheOneWhoTookItOver()
    {
        var lease = TimeSpan.FromMinutes(1);
        Assert.True(await _runs.TryLockAsync("t", "old", lease, _ => false, CancellationToken.None));
        Assert.False(await _runs.TryLockAsync("t", "new", lease, _ => false, CancellationToken.None));
        Assert.True(await _runs.TryLockAsync("t", "new", lease, holder => holder == "old", CancellationToken.None));

        // The old holder comes back and releases "its" lock: the new holder's stays.
        await _runs.UnlockAsync("t", "old", CancellationToken.None);
        Assert.False(await _runs.TryLockAsync("t", "third", lease, _ => false, CancellationToken.None));
        await _runs.UnlockAsync("t", "new", CancellationToken.None);
        Assert.True(await _runs.TryLockAsync("t", "third", lease, _ => false, CancellationToken.None));
    }

    public void Dispose()
    {
        _coredms.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
