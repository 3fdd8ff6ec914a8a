using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using CqlStandIn;
using Platform.Tests.CoredmsTests;

namespace Platform.Tests.Api;

/// <summary>
/// Registering a new schema for a dataset, under each compatibility level, on both engines (SQLite, and Cassandra:
/// the stand-in cluster here, a real one in the live suite): which changes pass and which are refused with a
/// reason per field path, and rows written under an old version read as the current one.
/// </summary>
public sealed class SchemaEvolutionTests : IAsyncDisposable
{
    private readonly StandInCluster _cluster = StandInCluster.Start();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    private static JsonArray Fields(JsonObject dataset) => dataset["schema"]!["fields"]!.AsArray();

    private static JsonObject Field(JsonObject dataset, string name) => Fields(dataset).Select(f => f!.AsObject()).Single(f => f["name"]!.GetValue<string>() == name);

    private static JsonObject Remove(JsonObject dataset, string name)
    {
        Fields(dataset).Remove(Field(dataset, name));
        return dataset;
    }

    private static JsonObject Add(JsonObject dataset, string field)
    {
        Fields(dataset).Add(JsonNode.Parse(field));
        return dataset;
    }

    /// <summary>Each change to the seed's dataset A, and the rules it breaks under BACKWARD, FORWARD, FULL and NONE (empty: accepted).</summary>
    private static readonly (string Change, Func<JsonObject, JsonObject> Apply, string[][] Broken)[] Changes =
    [
        ("add a field with a default", d => Add(d, """{"name": "weather", "type": "string", "default": "unknown"}"""), [[], [], [], []]),
        ("add a field without a default", d => Add(d, """{"name": "weather", "type": "string"}"""), [["backward"], [], ["backward"], []]),
        ("remove a field with a default", d => Remove(d, "plate_hash"), [[], [], [], []]),
        ("remove a field without a default", d => Remove(d, "time"), [[], ["forward"], ["forward"], []]),
        ("widen int to long", d => { Field(d, "lane")["type"] = JsonNode.Parse("""["null", "long"]"""); return d; },
            [["column_type"], ["column_type", "forward"], ["column_type", "forward"], ["column_type"]]),
        ("change a type (enum to string)", d => { Field(d, "vehicle_class")["type"] = "string"; return d; }, [["backward"], ["forward"], ["backward", "forward"], []]),
        ("rename through aliases", d => { Field(d, "plate_hash")["name"] = "plate"; Field(d, "plate")["aliases"] = new JsonArray("plate_hash"); return d; },
            [["rename"], ["rename"], ["rename"], ["rename"]]),
        ("change a key field's type", d => { Field(d, "reading_id")["type"] = "long"; return d; },
            [["key_unchanged"], ["key_unchanged", "forward"], ["key_unchanged", "forward"], ["key_unchanged"]]),
    ];

    private static readonly string[] Levels = ["BACKWARD", "FORWARD", "FULL", "NONE"];

    public static IEnumerable<object[]> Engines() => [["sqlite"], ["cassandra"]];

    private Dictionary<string, string?> Settings(string engine) => engine == "cassandra" ? CassandraPlatformTests.Settings(_cluster.ContactPoint) : [];

    [Theory]
    [MemberData(nameof(Engines))]
    public Task EachLevelAcceptsTheChangesItAllowsAndRefusesTheOthersWithAReasonPerField(string engine) => LevelsAsync(Settings(engine));

    [Theory]
    [MemberData(nameof(Engines))]
    public Task TransitiveLevelsCheckEveryVersionAndOldRowsReadAsTheCurrentSchema(string engine) => VersionsAsync(Settings(engine));

    /// <summary>Every change under every non-transitive level (also run by the live Cassandra suite).</summary>
    internal static async Task LevelsAsync(Dictionary<string, string?> settings)
    {
        await using var host = await PlatformHost.StartAsync(settings);
        var tenant = "evolving_" + Guid.NewGuid().ToString("N")[..8];
        using var t = await host.TenantAsync(tenant);
        var mismatches = new List<string>();
        for (var c = 0; c < Changes.Length; c++)
        {
            for (var l = 0; l < Levels.Length; l++)
            {
                // Each case its own dataset and table (the record's name), from the seed's schema as version 1.
                var name = $"c{c}_{Levels[l].ToLowerInvariant()}";
                var v1 = Flows.DatasetA(name).With("compatibility", Levels[l]);
                v1["schema"]!["name"] = "Reading" + name;
                var created = await t.PutAsync($"/tenants/{tenant}/datasets/{name}", Repo.Body(v1));
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);

                var answer = await t.PutAsync($"/tenants/{tenant}/datasets/{name}", Repo.Body(Changes[c].Apply(v1.DeepClone().AsObject())));
                var body = await answer.ReadJsonAsync();
                string[] broken = answer.StatusCode == HttpStatusCode.OK ? [] : body.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("rule").GetString()!).Distinct().Order().ToArray();
                var expected = Changes[c].Broken[l].Order().ToArray();
                if (!broken.SequenceEqual(expected) || (broken.Length > 0 && answer.StatusCode != HttpStatusCode.Conflict))
                {
                    mismatches.Add($"{Changes[c].Change} under {Levels[l]}: {(int)answer.StatusCode} [{string.Join(", ", broken)}], expected [{string.Join(", ", expected)}]: {body}");
                }

                if (broken.Length > 0)
                {
                    // Each reason names a field path and says what breaks; the dataset keeps its version 1.
                    Assert.All(body.GetProperty("errors").EnumerateArray(), e => Assert.False(string.IsNullOrEmpty(e.GetProperty("field").GetString())));
                    var versions = (await t.GetFromJsonAsync<JsonElement>($"/tenants/{tenant}/datasets/{name}/schemas")).GetProperty("versions");
                    Assert.Equal(1, versions.GetArrayLength());
                }
            }
        }

        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    /// <summary>Three versions, a transitive level, and rows of version 1 read as version 2 (also run by the live Cassandra suite).</summary>
    internal static async Task VersionsAsync(Dictionary<string, string?> settings)
    {
        await using var host = await PlatformHost.StartAsync(settings);
        var tenant = "versions_" + Guid.NewGuid().ToString("N")[..8];
        using var t = await host.TenantAsync(tenant);
        var v1 = Flows.DatasetA().With("compatibility", "BACKWARD_TRANSITIVE");
        await t.RegisterAsync(tenant, v1, Flows.AgreementWithoutApp());
        await t.UploadAsync(tenant, "speed_tracking", "readings.csv", File.ReadAllBytes(Repo.Path("schemas", "examples", "client_a", "readings.csv")));
        await t.IngestAndWaitAsync(tenant, "speed_tracking");

        // Version 2 adds a field with a default and drops a nullable one.
        var v2 = Remove(Add(v1.DeepClone().AsObject(), """{"name": "weather", "type": "string", "default": "unknown"}"""), "plate_hash");
        Assert.Equal(HttpStatusCode.OK, (await t.PutAsync($"/tenants/{tenant}/datasets/speed_tracking", Repo.Body(v2))).StatusCode);
        var rows = await t.AllRowsAsync(tenant, "speed_tracking");
        Assert.NotEmpty(rows);
        Assert.All(rows, r => Assert.Equal("unknown", r.GetProperty("weather").GetString()));
        Assert.All(rows, r => Assert.False(r.TryGetProperty("plate_hash", out _)));

        // Version 3 drops weather's default: version 2's rows have weather, version 1's do not. Transitively refused,
        // naming the field and version 1; accepted by plain BACKWARD, which looks at version 2 only.
        var v3 = v2.DeepClone().AsObject();
        Field(v3, "weather").Remove("default");
        var refused = await t.PutAsync($"/tenants/{tenant}/datasets/speed_tracking", Repo.Body(v3));
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var problem = await refused.ReadJsonAsync();
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var error = Assert.Single(problem.GetProperty("errors").EnumerateArray());
        Assert.Equal("weather", error.GetProperty("field").GetString());
        Assert.Equal("backward", error.GetProperty("rule").GetString());
        Assert.Contains("version 1", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await t.PutAsync($"/tenants/{tenant}/datasets/speed_tracking", Repo.Body(v3.With("compatibility", "BACKWARD")))).StatusCode);

        var versions = await t.GetFromJsonAsync<JsonElement>($"/tenants/{tenant}/datasets/speed_tracking/schemas");
        Assert.Equal("BACKWARD", versions.GetProperty("compatibility").GetString());
        Assert.Equal([1, 2, 3], versions.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("version").GetInt32()));
        // Versions 2 and 3 differ by a default only, which the canonical form (the fingerprint) leaves out; each version keeps its own.
        var weather = versions.GetProperty("versions").EnumerateArray().Skip(1)
            .Select(v => v.GetProperty("schema").GetProperty("fields").EnumerateArray().Single(f => f.GetProperty("name").GetString() == "weather")).ToList();
        Assert.Equal("unknown", weather[0].GetProperty("default").GetString());
        Assert.False(weather[1].TryGetProperty("default", out _));

        // The same document again is no new version.
        Assert.Equal(HttpStatusCode.OK, (await t.PutAsync($"/tenants/{tenant}/datasets/speed_tracking", Repo.Body(v3))).StatusCode);
        Assert.Equal(3, (await t.GetFromJsonAsync<JsonElement>($"/tenants/{tenant}/datasets/speed_tracking/schemas")).GetProperty("versions").GetArrayLength());

        // A level that is none of the seven is a 400 naming the field.
        var unknown = await t.PutAsync($"/tenants/{tenant}/datasets/speed_tracking", Repo.Body(v3.With("compatibility", "SIDEWAYS")));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("compatibility", (await unknown.ReadJsonAsync()).GetProperty("errors")[0].GetProperty("field").GetString(), StringComparison.Ordinal);
    }
}
