using Coredms;
using Coredms.Cassandra;
using Cql;
using Microsoft.Extensions.Options;
using Platform.Tests.CoredmsTests;

namespace Platform.Tests.Live;

/// <summary>
/// The coredms contract and the platform's batch path on a real Cassandra (<c>MYSIMBDP_CASSANDRA</c>, host:port): every
/// contract test runs here but those the attribute excludes, with its reason.
/// </summary>
[LiveSuite(Variable, Excluded =
[
    "RowsExpireAfterTheirTtlAndTheSweeperRemovesThem: it moves the platform's clock, and Cassandra expires rows by its own",
    "UpdateIfWithATtlRenewsTheRowsLease: it moves the platform's clock, and Cassandra expires rows by its own",
    "SizeGrowsAsRowsArrive: Cassandra's size estimates count flushed data only, refreshed every 5 minutes by the server's clock (the stand-in suite covers the lag)",
])]
public sealed class LiveCassandraTests : CoredmsContract
{
    private const string Variable = "MYSIMBDP_CASSANDRA";

    private static CassandraOptions Options() => new() { ContactPoints = LiveFactAttribute.Value(Variable), ReplicationFactor = 1 };

    protected override Task<ICoredms> CreateAsync(ManualClock clock) => Task.FromResult<ICoredms>(new CassandraCoredms(Microsoft.Extensions.Options.Options.Create(Options()), new DataClock(clock)));

    protected override async Task DropAsync()
    {
        await using var session = await CqlSession.ConnectAsync(new CqlSessionOptions { ContactPoints = LiveFactAttribute.Value(Variable) });
        await session.QueryAsync($"DROP KEYSPACE IF EXISTS \"{Keyspace}\"");
    }

    [LiveFact(Variable)]
    public Task TheSeedTenantsFileIsIngestedIntoCassandra() => CassandraPlatformTests.BatchIngestionAsync(LiveFactAttribute.Value(Variable));

    [LiveFact(Variable)]
    public Task SchemaChangesAreAcceptedAndRefusedAsOnSqlite() => Api.SchemaEvolutionTests.LevelsAsync(CassandraPlatformTests.Settings(LiveFactAttribute.Value(Variable)));

    [LiveFact(Variable)]
    public Task AReplaceIsSeenWholeOrNotAtAll() => Api.ReplaceTests.ReadersAsync(CassandraPlatformTests.Settings(LiveFactAttribute.Value(Variable)), "replacing_live");

    [LiveFact(Variable)]
    public Task AFailedReplaceKeepsTheOldRows() => Api.ReplaceTests.FailuresAsync(CassandraPlatformTests.Settings(LiveFactAttribute.Value(Variable)), "replacing2_live");

    [LiveFact(Variable)]
    public Task RowsOfAnOldSchemaVersionReadAsTheCurrentOne() => Api.SchemaEvolutionTests.VersionsAsync(CassandraPlatformTests.Settings(LiveFactAttribute.Value(Variable)));
}
