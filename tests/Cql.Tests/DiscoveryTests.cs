using CqlStandIn;

namespace Cql.Tests;

/// <summary>Node discovery and a node going down, on a three-node stand-in cluster (127.0.0.1-3, one port).</summary>
public sealed class DiscoveryTests
{
    private static async Task<CqlSession> SessionAsync(StandInCluster cluster, string? contactPoints = null) =>
        await CqlSession.ConnectAsync(new CqlSessionOptions
        {
            ContactPoints = contactPoints ?? cluster.ContactPoint,
            ConnectionsPerNode = 1,
            Retries = 3,
            DownFor = TimeSpan.FromMinutes(1),
            Connection = new CqlConnectionOptions { ConnectTimeout = TimeSpan.FromSeconds(2) },
        });

    private static async Task KeyspaceAsync(CqlSession session)
    {
        await session.QueryAsync("CREATE KEYSPACE IF NOT EXISTS k WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}");
        await session.QueryAsync("CREATE TABLE IF NOT EXISTS k.t (id int, v text, PRIMARY KEY (id))");
    }

    [Fact]
    public async Task OneContactPointFindsItsPeersAndStatementsReachEveryNode()
    {
        await using var cluster = StandInCluster.Start(nodes: 3);
        await using var session = await SessionAsync(cluster);
        Assert.Equal([$"127.0.0.1:{cluster.Port}", $"127.0.0.2:{cluster.Port}", $"127.0.0.3:{cluster.Port}"], session.Nodes.Order());

        await KeyspaceAsync(session);
        for (var i = 0; i < 30; i++)
        {
            await session.ExecuteAsync("INSERT INTO k.t (id, v) VALUES (?, ?)", [i, "x"], idempotent: true);
        }

        Assert.All(Enumerable.Range(0, 3), node => Assert.Equal(1, cluster.ConnectionsTo(node)));
        Assert.Equal(30, (await session.ExecuteAsync("SELECT id FROM k.t", [], idempotent: true)).Rows.Count);
    }

    [Fact]
    public async Task ANodeGoingDownLosesNoStatementThatCanBeRetriedAndNewOnesGoElsewhere()
    {
        await using var cluster = StandInCluster.Start(nodes: 3);
        await using var session = await SessionAsync(cluster);
        await KeyspaceAsync(session);
        for (var i = 0; i < 6; i++)
        {
            await session.ExecuteAsync("INSERT INTO k.t (id, v) VALUES (?, ?)", [i, "before"], idempotent: true);
        }

        cluster.Stop(1);
        for (var i = 100; i < 130; i++)
        {
            await session.ExecuteAsync("INSERT INTO k.t (id, v) VALUES (?, ?)", [i, "during"], idempotent: true);
        }

        // Not idempotent (a lightweight transaction): never resent, but a node that is known down is not chosen.
        for (var i = 200; i < 210; i++)
        {
            Assert.True((await session.ExecuteAsync("INSERT INTO k.t (id, v) VALUES (?, ?) IF NOT EXISTS", [i, "claim"], idempotent: false)).Applied);
        }

        Assert.Equal(0, cluster.ConnectionsTo(1));
        Assert.Equal(46, (await session.ExecuteAsync("SELECT id FROM k.t", [], idempotent: true)).Rows.Count);
    }

    [Fact]
    public async Task AContactPointThatIsDownIsPassedOverAtConnect()
    {
        await using var cluster = StandInCluster.Start(nodes: 2);
        cluster.Stop(0);
        await using var session = await SessionAsync(cluster, $"127.0.0.1:{cluster.Port},127.0.0.2:{cluster.Port}");
        await KeyspaceAsync(session);
        Assert.Equal(1, cluster.ConnectionsTo(1));
    }

    [Fact]
    public async Task PeersInAnotherDataCenterAreNotUsed()
    {
        await using var cluster = StandInCluster.Start(nodes: 3, dataCenters: ["dc1", "dc1", "dc2"]);
        await using var session = await SessionAsync(cluster);
        Assert.Equal([$"127.0.0.1:{cluster.Port}", $"127.0.0.2:{cluster.Port}"], session.Nodes.Order());
    }
}
