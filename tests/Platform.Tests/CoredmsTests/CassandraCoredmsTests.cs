using Coredms;
using Coredms.Cassandra;
using CqlStandIn;
using Microsoft.Extensions.Options;

namespace Platform.Tests.CoredmsTests;

/// <summary>
/// The whole coredms contract on the Cassandra engine, through the project's CQL client, against the stand-in
/// cluster (real frames on loopback, Cassandra's rules over data in memory; TTLs follow the test's clock).
/// The same contract runs on a real Cassandra in <c>LiveCassandraTests</c> when one is configured.
/// </summary>
public sealed class CassandraCoredmsTests : CoredmsContract
{
    private StandInCluster? _cluster;

    protected override Task<ICoredms> CreateAsync(ManualClock clock)
    {
        _cluster = StandInCluster.Start(clock: clock);
        return Task.FromResult<ICoredms>(new CassandraCoredms(Options.Create(new CassandraOptions { ContactPoints = _cluster.ContactPoint, ReplicationFactor = 1 }), new DataClock(clock)));
    }

    protected override async Task DropAsync()
    {
        if (_cluster is not null)
        {
            // Nothing the engine sent drew a warning from the node (large multi-partition or wide unlogged batches).
            Assert.Empty(_cluster.Data.Warnings);
            await _cluster.DisposeAsync();
        }
    }
}
