using Coredms;
using Coredms.Cassandra;
using Cql;
using Microsoft.Extensions.Options;
using Platform.Tests.Coredms;

namespace Platform.Tests.Live;

/// <summary>
/// The coredms contract and the platform's batch path on a real Cassandra (<c>MYSIMBDP_CASSANDRA</c>,
/// host:port). Left out of the contract here: the TTL and lease tests (they move the platform's clock, and Cassandra expires
/// rows by its own) and the size test (Cassandra's size estimates refresh every few minutes).
/// </summary>
public sealed class LiveCassandraTests
{
    private const string Variable = "MYSIMBDP_CASSANDRA";

    private static CassandraOptions Options() => new() { ContactPoints = LiveFactAttribute.Value(Variable), ReplicationFactor = 1 };

    private static Task Contract(Func<CoredmsContract, Task> test) => LiveFactAttribute.RunAsync<OnCassandra>(test);

    [LiveFact(Variable)]
    public Task UpsertedRowsReadBackByKey() => Contract(c => c.UpsertedRowsReadBackByKey());

    [LiveFact(Variable)]
    public Task TheLaterRowForAKeyWins() => Contract(c => c.TheLaterRowForAKeyWinsWithinABatchAndAcrossBatches());

    [LiveFact(Variable)]
    public Task APartitionReadsInClusteringOrderAcrossPages() => Contract(c => c.APartitionReadsInClusteringOrderAcrossPages());

    [LiveFact(Variable)]
    public Task AScanWithoutAPrefixVisitsEveryRowOnce() => Contract(c => c.AScanWithoutAPrefixVisitsEveryRowOnce());

    [LiveFact(Variable)]
    public Task AForeignPagingStateIsRefused() => Contract(c => c.AForeignPagingStateIsRefused());

    [LiveFact(Variable)]
    public Task InsertIfAbsentClaimsAKeyOnce() => Contract(c => c.InsertIfAbsentClaimsAKeyOnce());

    [LiveFact(Variable)]
    public Task UpdateIfAppliesOnlyWhenTheRowHoldsTheExpectedValues() => Contract(c => c.UpdateIfAppliesOnlyWhenTheRowHoldsTheExpectedValues());

    [LiveFact(Variable)]
    public Task DeleteRemovesARowOrAPartition() => Contract(c => c.DeleteRemovesARowOrAPartition());

    [LiveFact(Variable)]
    public Task EveryColumnTypeRoundTrips() => Contract(c => c.EveryColumnTypeRoundTrips());

    [LiveFact(Variable)]
    public Task EnsureTableAddsNewColumnsButRefusesKeyAndTypeChanges() => Contract(c => c.EnsureTableAddsNewColumnsButRefusesKeyAndTypeChanges());

    [LiveFact(Variable)]
    public Task AnUnknownKeyspaceIsAnError() => Contract(c => c.AnUnknownKeyspaceIsAnError());

    [LiveFact(Variable)]
    public Task TheSeedTenantsFileIsIngestedIntoCassandra() => CassandraPlatformTests.BatchIngestionAsync(LiveFactAttribute.Value(Variable));

    /// <summary>The contract on the real cluster; not public, so that the runner reaches it only through the live facts above.</summary>
    private sealed class OnCassandra : CoredmsContract
    {
        protected override Task<ICoredms> CreateAsync(ManualClock clock) => Task.FromResult<ICoredms>(new CassandraCoredms(Microsoft.Extensions.Options.Options.Create(LiveCassandraTests.Options())));

        protected override async Task DropAsync()
        {
            await using var session = await CqlSession.ConnectAsync(new CqlSessionOptions { ContactPoints = LiveFactAttribute.Value(Variable) });
            await session.QueryAsync($"DROP KEYSPACE IF EXISTS \"{Keyspace}\"");
        }
    }
}
