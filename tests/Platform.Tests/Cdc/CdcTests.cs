using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace Platform.Tests.Cdc;

/// <summary>
/// Change data capture from a real PostgreSQL (<see cref="PostgresServer"/>): a table's snapshot, then its inserts,
/// updates and deletes, end up in coredms exactly as the table is, through a platform crash (SIGKILL) and a restart of
/// PostgreSQL under it; each wrong setting gets its own 422; pausing stops reading and resuming catches up; removing
/// the source drops the slot.
/// </summary>
public sealed class CdcTests : IAsyncLifetime
{
    private PostgresServer _pg = null!;

    public async Task InitializeAsync()
    {
        _pg = await PostgresServer.StartAsync();
        await _pg.ExecuteAsync(OrdersTable(10_000));
    }

    /// <summary>The SQL that creates public.orders with <paramref name="rows"/> rows.</summary>
    internal static string OrdersTable(int rows) => $"""
        CREATE TABLE public.orders (order_id int PRIMARY KEY, customer text NOT NULL, amount numeric(10,2), placed_at timestamptz NOT NULL, paid boolean);
        INSERT INTO public.orders SELECT i, 'customer ' || (i % 97), (i % 1000) / 4.0, timestamptz '2026-03-01 08:00:00+00' + i * interval '1 minute', i % 3 = 0
        FROM generate_series(1, {rows}) AS i;
        """;

    public async Task DisposeAsync() => await _pg.DisposeAsync();

    /// <summary>A data configuration in the seed's format, capturing public.orders.</summary>
    internal static JsonObject Orders(string table = "public.orders") => JsonNode.Parse($$$"""
        {
          "name": "orders", "file_type": "csv", "key_space": "shop", "csv.first.row.as.header": true, "max_file_size_mb": 10,
          "ingestion_mode": "stream",
          "schema": {"type": "record", "name": "Order", "fields": [
            {"name": "order_id", "type": "int"},
            {"name": "customer", "type": "string"},
            {"name": "amount", "type": ["null", "double"], "default": null},
            {"name": "placed_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "paid", "type": ["null", "boolean"], "default": null}
          ]},
          "primary_key": ["order_id"],
          "source": {"type": "postgres_cdc", "connection": "shop", "table": "{{{table}}}"}
        }
        """)!.AsObject();

    private JsonObject Connection(string password = PostgresServer.Password, int? port = null) => ConnectionTo(_pg, password, port);

    internal static JsonObject ConnectionTo(PostgresServer pg, string password = PostgresServer.Password, int? port = null) => new()
    {
        ["type"] = "postgres", ["host"] = "127.0.0.1", ["port"] = port ?? pg.Port, ["database"] = PostgresServer.Database, ["user"] = PostgresServer.User,
        ["password"] = password,
    };

    private async Task RegisterAsync(HttpClient t, string tenant)
    {
        var connection = await t.PutAsync($"/tenants/{tenant}/connections/shop", Repo.Body(Connection()));
        Assert.True(connection.StatusCode == HttpStatusCode.Created, await connection.Content.ReadAsStringAsync());
        await t.RegisterAsync(tenant, Orders(), Flows.AgreementWithoutApp());
    }

    /// <summary>Single-statement transactions: inserts of new orders, updates and deletes of old ones, interleaved; the rows each kind changed.</summary>
    private async Task<(int Inserted, int Updated, int Deleted)> ChangeAsync(int from, int count, string password = PostgresServer.Password)
    {
        await using var connection = new NpgsqlConnection(_pg.ConnectionString(password: password));
        await connection.OpenAsync();
        var changed = new int[3];
        for (var i = from; i < from + count; i++)
        {
            var sql = (i % 3) switch
            {
                0 => $"INSERT INTO orders VALUES ({20_000 + i}, 'new {i}', {i % 50}.25, now(), NULL)",
                1 => $"UPDATE orders SET amount = amount + 1, paid = NOT coalesce(paid, false), customer = 'changed {i}' WHERE order_id = {i * 7 % 10_000 + 1}",
                _ => $"DELETE FROM orders WHERE order_id = {i * 13 % 10_000 + 1}",
            };
            await using var command = new NpgsqlCommand(sql, connection);
            changed[i % 3] += await command.ExecuteNonQueryAsync();
        }

        return (changed[0], changed[1], changed[2]);
    }

    /// <summary>The table as the rows API should show it: order_id → "customer|amount|placed_at ms|paid".</summary>
    private async Task<Dictionary<int, string>> TableAsync(string password = PostgresServer.Password)
    {
        await using var connection = new NpgsqlConnection(_pg.ConnectionString(password: password));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT order_id, customer, amount::float8, placed_at, paid FROM orders", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var table = new Dictionary<int, string>();
        while (await reader.ReadAsync())
        {
            table[reader.GetInt32(0)] = string.Join('|', reader.GetString(1), reader.IsDBNull(2) ? "null" : reader.GetDouble(2).ToString(CultureInfo.InvariantCulture),
                new DateTimeOffset(reader.GetDateTime(3)).ToUnixTimeMilliseconds(), reader.IsDBNull(4) ? "null" : reader.GetBoolean(4) ? "true" : "false");
        }

        return table;
    }

    private static Dictionary<int, string> Rows(IEnumerable<JsonElement> rows) => rows.ToDictionary(r => r.GetProperty("order_id").GetInt32(), r => string.Join('|',
        r.GetProperty("customer").GetString(),
        r.GetProperty("amount") is { ValueKind: JsonValueKind.Number } a ? a.GetDouble().ToString(CultureInfo.InvariantCulture) : "null",
        DateTimeOffset.Parse(r.GetProperty("placed_at").GetString()!, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(),
        r.GetProperty("paid") is { ValueKind: JsonValueKind.True or JsonValueKind.False } p ? p.GetBoolean() ? "true" : "false" : "null"));

    /// <summary>Waits until the dataset holds exactly the table's rows, and says which keys differ if it never does.</summary>
    private async Task MatchesTableAsync(HttpClient t, string tenant, string password = PostgresServer.Password)
    {
        var table = await TableAsync(password);
        await Eventually.UntilAsync(async () => Rows(await t.AllRowsAsync(tenant, "orders")), rows => rows.Count == table.Count && rows.All(r => table.GetValueOrDefault(r.Key) == r.Value),
            rows => $"the dataset has {rows.Count} rows, the table {table.Count}; first differences: " + string.Join(", ",
                rows.Where(r => table.GetValueOrDefault(r.Key) != r.Value).Take(3).Select(r => $"{r.Key}: {r.Value} vs {table.GetValueOrDefault(r.Key)}")
                    .Concat(table.Keys.Except(rows.Keys).Take(3).Select(k => $"{k} missing"))),
            TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task ASnapshotThenInterleavedChangesLeaveTheDatasetExactlyAsTheTableThroughAPostgresRestart()
    {
        await using var host = await PlatformHost.StartAsync(new Dictionary<string, string?> { ["Stream:RescanSeconds"] = "1" });
        using var t = await host.TenantAsync("cdc_shop");
        await RegisterAsync(t, "cdc_shop");
        await MatchesTableAsync(t, "cdc_shop");

        await ChangeAsync(0, 1000);
        await MatchesTableAsync(t, "cdc_shop");

        // PostgreSQL crashes and starts again under the platform: it connects again and goes on from what it acknowledged.
        // (A fast shutdown would wait for the walsender until wal_sender_timeout: the platform confirms commit positions
        // only, not the shutdown checkpoint after them.)
        await _pg.RestartAsync("immediate");
        await ChangeAsync(1000, 300);
        await MatchesTableAsync(t, "cdc_shop");

        // The connection shows that a password is set, never the password.
        var connection = await t.GetStringAsync("/tenants/cdc_shop/connections/shop");
        Assert.Contains("\"password_set\":true", connection, StringComparison.Ordinal);
        Assert.DoesNotContain(PostgresServer.Password, connection, StringComparison.Ordinal);
        Assert.DoesNotContain(PostgresServer.Password, await File.ReadAllTextAsync(Path.Combine(host.Home, "coredms", "mysimbdp_platform.db"), Encoding.Latin1), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ANewColumnTheSchemaHasIsTakenAndAnyOtherChangePausesTheDatasetWithTheReason()
    {
        await using var host = await PlatformHost.StartAsync(new Dictionary<string, string?> { ["Stream:RescanSeconds"] = "1" });
        using var t = await host.TenantAsync("cdc_columns");
        Assert.Equal(HttpStatusCode.Created, (await t.PutAsync("/tenants/cdc_columns/connections/shop", Repo.Body(Connection()))).StatusCode);
        var dataset = Orders();
        dataset["schema"]!["fields"]!.AsArray().Add(new JsonObject { ["name"] = "coupon", ["type"] = new JsonArray("null", "string"), ["default"] = null });
        await t.RegisterAsync("cdc_columns", dataset, Flows.AgreementWithoutApp());
        await MatchesTableAsync(t, "cdc_columns");

        await _pg.ExecuteAsync("ALTER TABLE orders ADD COLUMN coupon text; UPDATE orders SET coupon = 'SAVE10' WHERE order_id = 5");
        await Eventually.UntilAsync(async () => (await t.AllRowsAsync("cdc_columns", "orders", query: "&order_id=5")).Single(),
            row => row.GetProperty("coupon").ValueKind == JsonValueKind.String && row.GetProperty("coupon").GetString() == "SAVE10", row => $"the new column never arrived: {row}");

        await _pg.ExecuteAsync("ALTER TABLE orders ADD COLUMN note text; UPDATE orders SET note = 'x', customer = 'after the change' WHERE order_id = 6");
        using var admin = await host.AdminAsync();
        JsonNode status;
        try
        {
            status = await Eventually.UntilAsync(async () => JsonNode.Parse(await t.GetStringAsync("/tenants/cdc_columns/datasets/orders"))!["status"]!,
                s => s["state"]!.GetValue<string>() == "paused", s => $"the dataset was not paused: {s}", TimeSpan.FromSeconds(60));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // It failed once in a full CI run (not since, alone or under load): what the platform logged is the clue.
            throw new Xunit.Sdk.XunitException($"{e.Message}\nrow 6: {(await t.AllRowsAsync("cdc_columns", "orders", query: "&order_id=6")).Single()}\nlog: " +
                await admin.GetStringAsync("/admin/logs?tenant=cdc_columns&limit=50") + "\nplatform: " + await admin.GetStringAsync("/admin/logs?level=warn&limit=50"));
        }

        Assert.Contains("new column 'note'", status["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotEqual("after the change", (await t.AllRowsAsync("cdc_columns", "orders", query: "&order_id=6")).Single().GetProperty("customer").GetString());
        await Eventually.UntilAsync(async () => await admin.GetStringAsync("/admin/logs?tenant=cdc_columns&action=source.failed"), log => log.Contains("note", StringComparison.Ordinal),
            log => "no source.failed event: " + log);
    }

    [Fact]
    public async Task AConfigurationProposedFromTheTableRegistersAsItIsAndCaptures()
    {
        await using var host = await PlatformHost.StartAsync(new Dictionary<string, string?> { ["Stream:RescanSeconds"] = "1", ["Lake:RollSeconds"] = "1" });
        using var t = await host.TenantAsync("cdc_proposed");
        Assert.Equal(HttpStatusCode.Created, (await t.PutAsync("/tenants/cdc_proposed/connections/shop", Repo.Body(Connection()))).StatusCode);
        await t.RegisterAsync("cdc_proposed", Flows.DatasetA(), Flows.AgreementWithoutApp());

        var proposal = JsonNode.Parse(await t.GetStringAsync("/tenants/cdc_proposed/connections/shop/schema?table=public.orders"))!.AsObject();
        Assert.Equal(["order_id"], proposal["primary_key"]!.AsArray().Select(k => k!.GetValue<string>()));
        Assert.Equal("timestamp-micros", proposal["schema"]!["fields"]![3]!["type"]!["logicalType"]!.GetValue<string>());
        // With a lake sink added: the lake keeps every version written (deletes are not applied to it).
        proposal["sinks"] = new JsonArray(new JsonObject { ["type"] = "lake" });
        var put = await t.PutAsync("/tenants/cdc_proposed/datasets/orders", Repo.Body(proposal));
        Assert.True(put.StatusCode == HttpStatusCode.Created, await put.Content.ReadAsStringAsync());
        await MatchesTableAsync(t, "cdc_proposed");
        var copied = (await TableAsync()).Count;
        var (inserted, updated, _) = await ChangeAsync(0, 90);
        await MatchesTableAsync(t, "cdc_proposed");

        var lake = Lake.DuckDb.Files(Path.Combine(host.Home, "lake"), "cdc_proposed", "orders");
        await Eventually.UntilAsync(() => Task.FromResult(Lake.LakeTests.SpoolDrained(host.Home) && Directory.Exists(Path.Combine(host.Home, "lake", "cdc_proposed"))
            && Lake.DuckDb.Long(Lake.DuckDb.Scalar($"select count(*) from {lake}")) >= copied + inserted + updated), "the captured rows never all reached the lake");
        var versions = Assert.Single(Lake.DuckDb.Query($"select count(*), count(distinct order_id) from {lake}"));
        Assert.Equal((copied + inserted + updated, copied + inserted), ((int)Lake.DuckDb.Long(versions[0]), (int)Lake.DuckDb.Long(versions[1])));

        await AssertRefusedAsync(await t.GetAsync("/tenants/cdc_proposed/connections/shop/schema?table=public.nothing"), 422, "table", "exists");
    }

    /// <summary>The same capture with coredms on the Cassandra engine (the stand-in cluster): its catalog rows, upserts and deletes.</summary>
    [Fact]
    public async Task CapturedChangesReachCassandraToo()
    {
        await using var cluster = CqlStandIn.StandInCluster.Start();
        var settings = CoredmsTests.CassandraPlatformTests.Settings(cluster.ContactPoint);
        settings["Stream:RescanSeconds"] = "1";
        await using var host = await PlatformHost.StartAsync(settings);
        using var t = await host.TenantAsync("cdc_cassandra");
        await RegisterAsync(t, "cdc_cassandra");
        await MatchesTableAsync(t, "cdc_cassandra");
        await ChangeAsync(0, 300);
        await MatchesTableAsync(t, "cdc_cassandra");
    }

    [Fact]
    public async Task KillingThePlatformMidStreamLosesAndDoublesNothing()
    {
        var home = Directory.CreateTempSubdirectory("mysimbdp-cdc-crash-").FullName;
        try
        {
            var environment = new Dictionary<string, string> { ["Stream__RescanSeconds"] = "1" };
            await using (var first = await ChildHost.StartAsync(home, environment))
            {
                using var admin = await first.AdminAsync();
                Assert.True((await admin.PostAsync("/tenants", Repo.Body(new JsonObject { ["id"] = "cdc_crash" }))).IsSuccessStatusCode);
                await RegisterAsync(admin, "cdc_crash");
                await MatchesTableAsync(admin, "cdc_crash");
                var changing = ChangeAsync(0, 1000);
                await Eventually.UntilAsync(() => _pg.ScalarAsync<long>("SELECT count(*) FROM orders WHERE order_id > 20000"), n => n > 100, n => $"only {n} inserts so far");
                first.Kill();
                await changing;
            }

            await using (var second = await ChildHost.StartAsync(home, environment))
            {
                using var admin = await second.AdminAsync();
                await MatchesTableAsync(admin, "cdc_crash");

                // Deleting the tenant drops the slot its dataset reads (ending that session) and the publication.
                Assert.Equal(1L, await _pg.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'mysimbdp_cdc_crash_%'"));
                Assert.True((await admin.DeleteAsync("/tenants/cdc_crash?confirm=cdc_crash")).IsSuccessStatusCode);
                Assert.Equal(0L, await _pg.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'mysimbdp_cdc_crash_%'"));
                Assert.Equal(0L, await _pg.ScalarAsync<long>("SELECT count(*) FROM pg_publication WHERE pubname LIKE 'mysimbdp_cdc_crash_%'"));
            }
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    /// <summary>A failure that retrying cannot mend (here the tenant changed the login's password) pauses the dataset with PostgreSQL's words.</summary>
    [Fact]
    public async Task ALoginRefusedAfterAReconnectPausesTheDatasetUntilTheConnectionIsMended()
    {
        await using var host = await PlatformHost.StartAsync(new Dictionary<string, string?> { ["Stream:RescanSeconds"] = "1" });
        using var t = await host.TenantAsync("cdc_login");
        await RegisterAsync(t, "cdc_login");
        await MatchesTableAsync(t, "cdc_login");

        await _pg.ExecuteAsSuperuserAsync($"ALTER ROLE {PostgresServer.User} PASSWORD 'rotated-password-0123'");
        await _pg.ExecuteAsSuperuserAsync("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name LIKE 'mysimbdp_cdc_login_%' AND active");
        var status = await Eventually.UntilAsync(async () => JsonNode.Parse(await t.GetStringAsync("/tenants/cdc_login/datasets/orders"))!["status"]!,
            s => s["state"]!.GetValue<string>() == "paused", s => $"the dataset was not paused: {s}", TimeSpan.FromSeconds(60));
        Assert.Contains("password authentication failed", status["reason"]!.GetValue<string>(), StringComparison.Ordinal);

        // The tenant registers the new password and resumes: what changed meanwhile arrives.
        await ChangeAsync(0, 60, "rotated-password-0123");
        Assert.Equal(HttpStatusCode.OK, (await t.PutAsync("/tenants/cdc_login/connections/shop", Repo.Body(Connection("rotated-password-0123")))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await t.PostAsync("/tenants/cdc_login/datasets/orders/resume", null)).StatusCode);
        await MatchesTableAsync(t, "cdc_login", "rotated-password-0123");
    }

    /// <summary>A copy cut short by a crash is taken again whole from a new slot, and what changed meanwhile is not lost.</summary>
    [Fact]
    public async Task KillingThePlatformMidSnapshotTakesTheCopyAgainWhole()
    {
        await _pg.ExecuteAsync("INSERT INTO orders SELECT i, 'more ' || i, i / 8.0, now(), NULL FROM generate_series(100001, 240000) AS i");
        var home = Directory.CreateTempSubdirectory("mysimbdp-cdc-snapshot-").FullName;
        try
        {
            var environment = new Dictionary<string, string> { ["Stream__RescanSeconds"] = "1" };
            var copied = false;
            await using (var first = await ChildHost.StartAsync(home, environment, line => copied |= line.Contains("snapshot of public.orders", StringComparison.Ordinal)))
            {
                using var admin = await first.AdminAsync();
                Assert.True((await admin.PostAsync("/tenants", Repo.Body(new JsonObject { ["id"] = "cdc_copy" }))).IsSuccessStatusCode);
                await RegisterAsync(admin, "cdc_copy");
                await Eventually.UntilAsync(async () => JsonDocument.Parse(await admin.GetStringAsync("/tenants/cdc_copy/datasets/orders/rows?limit=1")).RootElement
                    .GetProperty("rows").GetArrayLength(), n => n > 0, _ => "the copy never began", every: TimeSpan.FromMilliseconds(5));
                first.Kill();
            }

            Assert.False(copied, "the copy finished before the kill: the table is too small to catch it midway");
            await ChangeAsync(0, 300);
            await using (var second = await ChildHost.StartAsync(home, environment))
            {
                using var admin = await second.AdminAsync();
                await MatchesTableAsync(admin, "cdc_copy");
            }
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public async Task EachWrongSettingGetsItsOwnError()
    {
        await using var host = await PlatformHost.StartAsync();
        using var t = await host.TenantAsync("cdc_wrong");
        await t.RegisterAsync("cdc_wrong", Flows.DatasetA(), Flows.AgreementWithoutApp());

        await AssertRefusedAsync(await t.PutAsync("/tenants/cdc_wrong/connections/shop", Repo.Body(Connection("not-the-password"))), 422, "password", "authentication");
        await AssertRefusedAsync(await t.PutAsync("/tenants/cdc_wrong/connections/shop", Repo.Body(Connection().With("port", 70000))), 400, "port", "range");
        Assert.Equal(HttpStatusCode.Created, (await t.PutAsync("/tenants/cdc_wrong/connections/shop", Repo.Body(Connection()))).StatusCode);

        await AssertRefusedAsync(await t.PutAsync("/tenants/cdc_wrong/datasets/orders", Repo.Body(Orders("public.no_such_table"))), 422, "source.table", "exists");
        var mismatch = Orders();
        mismatch["schema"]!["fields"]![1]!["type"] = "int";
        await AssertRefusedAsync(await t.PutAsync("/tenants/cdc_wrong/datasets/orders", Repo.Body(mismatch)), 422, "schema.fields[1]", "type");
        await AssertRefusedAsync(await t.PutAsync("/tenants/cdc_wrong/datasets/orders", Repo.Body(Orders().With("source", new JsonObject { ["type"] = "mysql" }))), 400,
            "source.type", "one_of");

        await using var replica = await PostgresServer.StartAsync(walLevel: "replica");
        await AssertRefusedAsync(await t.PutAsync("/tenants/cdc_wrong/connections/replica", Repo.Body(Connection(port: replica.Port))), 422, "host", "wal_level");
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, int status, string field, string rule)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"{(int)response.StatusCode} {body}");
        var errors = JsonDocument.Parse(body).RootElement.GetProperty("errors").EnumerateArray().Select(e => (e.GetProperty("field").GetString(), e.GetProperty("rule").GetString())).ToList();
        Assert.True(errors.Contains((field, rule)), $"no {field}/{rule} in {body}");
    }

    [Fact]
    public async Task APausedSourceReadsNothingAndCatchesUpOnResumeAndRemovingTheSourceDropsItsSlot()
    {
        await using var host = await PlatformHost.StartAsync(new Dictionary<string, string?> { ["Stream:RescanSeconds"] = "1", ["Stream:CdcPausedWarnHours"] = "0.0005" });
        using var t = await host.TenantAsync("cdc_pause");
        await RegisterAsync(t, "cdc_pause");
        await MatchesTableAsync(t, "cdc_pause");
        var slots = "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'mysimbdp_cdc_pause_%'";
        Assert.Equal(1L, await _pg.ScalarAsync<long>(slots));

        Assert.Equal(HttpStatusCode.OK, (await t.PostAsync("/tenants/cdc_pause/datasets/orders/pause", null)).StatusCode);
        var active = "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'mysimbdp_cdc_pause_%' AND active";
        await Eventually.UntilAsync(() => _pg.ScalarAsync<long>(active), n => n == 0, _ => "the paused dataset's slot is still being read");
        var before = Rows(await t.AllRowsAsync("cdc_pause", "orders"));
        await ChangeAsync(0, 300);
        Assert.Equal(before, Rows(await t.AllRowsAsync("cdc_pause", "orders")));
        Assert.Equal(0L, await _pg.ScalarAsync<long>(active));

        // Paused longer than Stream:CdcPausedWarnHours (here 1.8 s): the log says the slot keeps WAL meanwhile.
        using var admin = await host.AdminAsync();
        await Eventually.UntilAsync(async () => await admin.GetStringAsync("/admin/logs?tenant=cdc_pause&level=warn"), log => log.Contains("keeps WAL", StringComparison.Ordinal),
            log => "no warning about the paused slot: " + log);

        Assert.Equal(HttpStatusCode.OK, (await t.PostAsync("/tenants/cdc_pause/datasets/orders/resume", null)).StatusCode);
        await MatchesTableAsync(t, "cdc_pause");

        // The dataset registered again without its source: the slot and publication it made are dropped.
        await t.RegisterAsync("cdc_pause", Orders().Without("source"), null);
        await Eventually.UntilAsync(() => _pg.ScalarAsync<long>(slots), n => n == 0, n => $"{n} slots left");
        Assert.Equal(0L, await _pg.ScalarAsync<long>("SELECT count(*) FROM pg_publication WHERE pubname LIKE 'mysimbdp_cdc_pause_%'"));
    }
}
