namespace Coredms.Cassandra;

/// <summary>The Cassandra engine (section <c>Coredms:Cassandra</c>).</summary>
public sealed class CassandraOptions
{
    /// <summary>host[:port],...; <c>MYSIMBDP_CASSANDRA</c> sets it.</summary>
    public string ContactPoints { get; set; } = "";

    public string Username { get; set; } = "";

    public string Password { get; set; } = "";

    /// <summary><c>SimpleStrategy</c> (with <see cref="ReplicationFactor"/>) or <c>NetworkTopologyStrategy</c> (with <see cref="DataCenters"/>).</summary>
    public string Replication { get; set; } = "SimpleStrategy";

    public int ReplicationFactor { get; set; } = 3;

    /// <summary>For NetworkTopologyStrategy: <c>dc1:3,dc2:3</c>.</summary>
    public string DataCenters { get; set; } = "";

    /// <summary>LOCAL_QUORUM by default: reads see the writes before them within a data center.</summary>
    public string Consistency { get; set; } = "LOCAL_QUORUM";

    public int ConnectionsPerNode { get; set; } = 2;

    /// <summary>Also use the nodes <c>system.peers</c> lists in the contact point's data center.</summary>
    public bool DiscoverNodes { get; set; } = true;

    /// <summary>Rows per unlogged batch (all of one partition).</summary>
    public int BatchRows { get; set; } = 50;

    /// <summary>Batches in flight at once during an upsert.</summary>
    public int Concurrency { get; set; } = 32;
}
