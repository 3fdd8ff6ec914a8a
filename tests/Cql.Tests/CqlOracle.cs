using System.Text.Json;
using Mysimbdp.Tests.Oracles;

namespace Cql.Tests;

/// <summary>Runs tests/oracles/cql/oracle.js: npm cassandra-driver 4.10.0's Encoder for protocol v4, installed on first use.</summary>
public static class CqlOracle
{
    private static readonly NodeFixture Fixture = new("cql", "cassandra-driver");

    /// <summary>The driver's encoding of each (type, JSON value), as hex (null for null).</summary>
    public static List<string?> Encode(IReadOnlyList<(string Type, object? Value)> values)
    {
        var input = string.Join("\n", values.Select(v => JsonSerializer.Serialize(new { type = v.Type, value = v.Value }))) + "\n";
        return Fixture.Node("oracle.js", [], input).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("hex").GetString()).ToList();
    }
}
