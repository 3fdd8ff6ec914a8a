using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CqlStandIn;
using Platform.Tests.CoredmsTests;

namespace Platform.Tests.Api;

/// <summary>
/// Deleting loaded rows by primary key, by key prefix and all at once (truncate), on SQLite and on Cassandra (the
/// stand-in cluster), with the seed's file: exactly the rows named go, the rest and the quarantine stay, and each
/// delete is in the tenant's log.
/// </summary>
public sealed class DeleteTests : IAsyncDisposable
{
    private readonly StandInCluster _cluster = StandInCluster.Start();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Theory]
    [InlineData("sqlite")]
    [InlineData("cassandra")]
    public async Task RowsGoByKeyByPrefixAndAllAtOnceAndNothingElseDoes(string engine)
    {
        await using var host = await PlatformHost.StartAsync(engine == "cassandra" ? CassandraPlatformTests.Settings(_cluster.ContactPoint) : []);
        var tenant = "deleting_" + engine;
        using var t = await host.TenantAsync(tenant);
        await t.RegisterAsync(tenant, Flows.DatasetA(), Flows.AgreementWithoutApp());
        var readings = File.ReadAllBytes(Repo.Path("schemas", "examples", "client_a", "readings.csv"));
        await t.UploadAsync(tenant, "speed_tracking", "readings.csv", readings);
        await t.IngestAndWaitAsync(tenant, "speed_tracking");
        async Task<List<(int, int)>> KeysAsync() => (await t.AllRowsAsync(tenant, "speed_tracking"))
            .Select(r => (r.GetProperty("sensor_id").GetInt32(), r.GetProperty("reading_id").GetInt32())).Order().ToList();
        var before = await KeysAsync();
        Assert.Equal(8, before.Count);
        var url = $"/tenants/{tenant}/datasets/speed_tracking";

        // By key: values as JSON numbers or strings, typed by the schema; a key with no row is no error.
        var byKey = await t.PostAsJsonAsync(url + "/rows/delete", JsonDocument.Parse("""
            {"keys": [{"sensor_id": 101, "reading_id": 1}, {"sensor_id": "102", "reading_id": "2"}, {"sensor_id": 999, "reading_id": 1}]}
            """).RootElement);
        Assert.Equal(HttpStatusCode.OK, byKey.StatusCode);
        Assert.Equal(3, (await byKey.ReadJsonAsync()).GetProperty("keys").GetInt64());
        Assert.Equal(before.Except([(101, 1), (102, 2)]), await KeysAsync());

        // By prefix: the partition of sensor 103.
        var byPrefix = await t.PostAsJsonAsync(url + "/rows/delete", JsonDocument.Parse("""{"where": {"sensor_id": 103}}""").RootElement);
        Assert.Equal(HttpStatusCode.OK, byPrefix.StatusCode);
        Assert.DoesNotContain(await KeysAsync(), k => k.Item1 == 103);
        Assert.Equal(4, (await KeysAsync()).Count);

        // Mistakes name the field and the rule, and delete nothing.
        async Task Refused(string body, string field, string rule)
        {
            var answer = await t.PostAsync(url + "/rows/delete", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
            var problem = await answer.ReadJsonAsync();
            Assert.True(answer.StatusCode == HttpStatusCode.BadRequest, problem.ToString());
            Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("field").GetString() == field && e.GetProperty("rule").GetString() == rule);
        }

        await Refused("""{"where": {"reading_id": 1}}""", "where.reading_id", "primary_key");
        await Refused("""{"keys": [{"sensor_id": 101}]}""", "keys[0].reading_id", "required");
        await Refused("""{"keys": [{"sensor_id": "abc", "reading_id": 1}]}""", "keys[0].sensor_id", "type");
        await Refused("""{"keys": [{"sensor_id": 101, "reading_id": 1, "lane": 2}]}""", "keys[0].lane", "unknown_property");
        await Refused("""{"keys": [{"sensor_id": null, "reading_id": 1}]}""", "keys[0].sensor_id", "type");
        await Refused("""{"keys": [], "where": {}}""", "keys", "one_of");
        await Refused("""{"where": {}}""", "where", "required");
        await Refused("""{"key": [{"sensor_id": 101, "reading_id": 3}]}""", "key", "unknown_property");
        Assert.Equal(4, (await KeysAsync()).Count);

        // Truncate: no rows, the quarantine stays, and the table takes rows again.
        var quarantined = (await t.AllRowsAsync(tenant, "speed_tracking", "quarantine")).Count;
        Assert.Equal(HttpStatusCode.OK, (await t.PostAsync(url + "/truncate", null)).StatusCode);
        Assert.Empty(await KeysAsync());
        Assert.Equal(quarantined, (await t.AllRowsAsync(tenant, "speed_tracking", "quarantine")).Count);
        await t.UploadAsync(tenant, "speed_tracking", "readings.csv", readings);
        await t.IngestAndWaitAsync(tenant, "speed_tracking");
        Assert.Equal(before, await KeysAsync());

        var log = await t.GetFromJsonAsync<JsonElement>($"/tenants/{tenant}/logs?q=speed_tracking");
        var actions = log.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("action").GetString()).ToList();
        Assert.Equal(2, actions.Count(a => a == "rows.deleted"));
        Assert.Single(actions, a => a == "dataset.truncated");

        // Another tenant cannot delete these rows.
        using var other = await host.TenantAsync("intruder_" + engine);
        Assert.Equal(HttpStatusCode.Forbidden, (await other.PostAsync(url + "/truncate", null)).StatusCode);
    }
}
