using Coredms.Sqlite;

namespace Coredms;

/// <summary>Which coredms engine runs (section <c>Coredms</c>), and each engine's own options.</summary>
public sealed class CoredmsOptions
{
    public const string Section = "Coredms";

    /// <summary><c>sqlite</c> (embedded, the default) or <c>cassandra</c> (cluster mode).</summary>
    public string Engine { get; set; } = "sqlite";

    public SqliteOptions Sqlite { get; set; } = new();

    public Cassandra.CassandraOptions Cassandra { get; set; } = new();
}
