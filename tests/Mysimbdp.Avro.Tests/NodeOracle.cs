using System.Text.Json;
using Mysimbdp.Tests.Oracles;

namespace Mysimbdp.Avro.Tests;

/// <summary>Runs tests/oracles/avro/oracle.js (npm avsc), installed on first use.</summary>
public static class NodeOracle
{
    private static readonly NodeFixture Fixture = new("avro", "avsc");

    public static string Directory => Fixture.Directory;

    /// <summary>Runs an oracle command with JSON lines on stdin; returns the answer lines.</summary>
    public static List<JsonElement> Call(string command, IEnumerable<object> requests, params string[] args)
    {
        var input = string.Join("\n", requests.Select(r => JsonSerializer.Serialize(r))) + "\n";
        return Fixture.Node("oracle.js", [command, .. args], input)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }
}
