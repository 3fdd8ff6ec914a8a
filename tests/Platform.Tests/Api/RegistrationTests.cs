using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.Tests.Api;

public sealed class RegistrationTests : IAsyncLifetime
{
    private PlatformHost _host = null!;

    public async Task InitializeAsync() => _host = await PlatformHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static readonly JsonObject DatasetA = Repo.Example("client_a", "dataset");
    private static readonly JsonObject DatasetB = Repo.Example("client_b", "dataset");
    private static readonly JsonObject AgreementA = Repo.Example("client_a", "agreement");
    private static readonly JsonObject AgreementB = Repo.Example("client_b", "agreement");

    private static List<(string Field, string Rule, string Message)> Errors(JsonElement problem) =>
        problem.GetProperty("errors").EnumerateArray()
            .Select(e => (e.GetProperty("field").GetString()!, e.GetProperty("rule").GetString()!, e.GetProperty("message").GetString()!))
            .ToList();

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PutAsync(HttpClient http, string path, JsonNode document)
    {
        var response = await http.PutAsync(path, Repo.Body(document));
        return (response.StatusCode, await response.ReadJsonAsync());
    }

    [Fact]
    public async Task TheSeedTenantsConfigurationsAreAccepted()
    {
        using var a = await _host.TenantAsync("client_a");
        using var b = await _host.TenantAsync("client_b");

        Assert.Equal(HttpStatusCode.Created, (await PutAsync(a, "/tenants/client_a/datasets/speed_tracking", DatasetA)).Status);
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(a, "/tenants/client_a/agreement", AgreementA)).Status);
        Assert.Equal(HttpStatusCode.Created, (await PutAsync(b, "/tenants/client_b/datasets/product_reviews", DatasetB)).Status);
        var (status, body) = await PutAsync(b, "/tenants/client_b/agreement", AgreementB);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(90, body.GetProperty("retention_days").GetInt32());
        Assert.Equal("0 0 * * * ?", body.GetProperty("quartz_schedule").GetString());

        Assert.Equal(HttpStatusCode.OK, (await PutAsync(a, "/tenants/client_a/datasets/speed_tracking", DatasetA)).Status);
    }

    /// <summary>A seed document as the design wrote it, sent byte for byte.</summary>
    private static async Task<(HttpStatusCode Status, JsonElement Body)> PutSeedAsync(HttpClient http, string path, string seed)
    {
        var content = new ByteArrayContent(File.ReadAllBytes(Repo.Path("schemas", "examples", "seed", seed + ".json")));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var response = await http.PutAsync(path, content);
        return (response.StatusCode, await response.ReadJsonAsync());
    }

    [Fact]
    public async Task TheSeedsDocumentsAreRegisteredAsWritten()
    {
        using var a = await _host.TenantAsync("client_a");
        using var b = await _host.TenantAsync("client_b");

        var (status, body) = await PutSeedAsync(a, "/tenants/client_a/datasets/speed-tracking-data", "tenant_a_dataset");
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        Assert.Equal("analytics", body.GetProperty("table").GetString());
        Assert.Equal(["PROVINCECODE"], body.GetProperty("partition_key").EnumerateArray().Select(e => e.GetString()));
        (status, body) = await PutSeedAsync(a, "/tenants/client_a/agreement", "tenant_a_agreement");
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.Equal(7, body.GetProperty("retention_days").GetInt32());
        (status, body) = await PutSeedAsync(b, "/tenants/client_b/datasets/amazon-product-review-data", "tenant_b_dataset");
        Assert.True(status == HttpStatusCode.Created, body.ToString());

        (status, body) = await PutSeedAsync(b, "/tenants/client_b/agreement", "tenant_b_agreement");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var (field, rule, message) = Assert.Single(Errors(body));
        Assert.Equal(("resources.limits.cpu", "kubernetes_cpu_quantity"), (field, rule));
        Assert.Contains("'1Gi' is not a CPU quantity", message);

        // The seed's own upload route, then a run: the rows land under the seed's key.
        var csv = "PROVINCECODE,DEVICEID,IFINDEX,FRAME,SLOT,PORT,ONUINDEX,ONUID,TIME,SPEEDIN,SPEEDOUT\n" +
            "HNI,1000000000001,12,0,3,7,1,5,2026-03-01 08:00:00,312.5,44.25\nHNI,1000000000001,12,0,3,7,2,6,2026-03-01 08:00:00,0,1.5\n";
        var upload = await a.PostAsync("/upload-file/client_a", new MultipartFormDataContent { { new StringContent(csv), "file", "dump.csv" } });
        Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
        var run = await a.IngestAndWaitAsync("client_a", "speed-tracking-data");
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        var rows = await a.AllRowsAsync("client_a", "speed-tracking-data", query: "&PROVINCECODE=HNI&DEVICEID=1000000000001");
        Assert.Equal([5, 6], rows.Select(r => r.GetProperty("ONUID").GetInt32()));
    }

    [Fact]
    public async Task ARegisteredConfigurationReadsBackAsRegistered()
    {
        using var b = await _host.TenantAsync("client_b");
        await PutAsync(b, "/tenants/client_b/datasets/product_reviews", DatasetB);
        await PutAsync(b, "/tenants/client_b/agreement", AgreementB);

        var dataset = JsonNode.Parse(await b.GetStringAsync("/tenants/client_b/datasets/product_reviews"))!.AsObject();
        Assert.Equal("active", dataset["status"]!["state"]!.GetValue<string>());
        dataset.Remove("status");
        Assert.True(JsonNode.DeepEquals(DatasetB, dataset));
        var agreement = JsonNode.Parse(await b.GetStringAsync("/tenants/client_b/agreement"));
        Assert.True(JsonNode.DeepEquals(AgreementB, agreement));

        var list = JsonDocument.Parse(await b.GetStringAsync("/tenants/client_b/datasets")).RootElement.GetProperty("datasets");
        var view = Assert.Single(list.EnumerateArray());
        Assert.Equal("t8_client_b_reviews", view.GetProperty("physical_keyspace").GetString());
        Assert.Equal("review", view.GetProperty("table").GetString());
        Assert.Equal(["product_id"], view.GetProperty("partition_key").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task TheSeedAgreementAskingForOneGibibyteOfCpuIsRejectedWithTheReason()
    {
        using var b = await _host.TenantAsync("client_b");
        var (status, body) = await PutAsync(b, "/tenants/client_b/agreement", AgreementB.With("resources.limits.cpu", "1Gi"));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var (field, rule, message) = Assert.Single(Errors(body));
        Assert.Equal("resources.limits.cpu", field);
        Assert.Equal("kubernetes_cpu_quantity", rule);
        Assert.Contains("'1Gi' is not a CPU quantity", message);
        Assert.Contains("'Gi' is a memory unit", message);
        Assert.Contains("resources.limits.cpu: '1Gi' is not a CPU quantity", body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task EveryProblemInADataConfigurationIsReportedAtOnce()
    {
        using var a = await _host.TenantAsync("client_a");
        var broken = DatasetA
            .With("file_type", "xlsx")
            .With("key_space", "9lives")
            .With("max_file_size_mb", 0)
            .With("primary_key", new JsonArray("sensor_id", "nope", "lane"))
            .With("schema.fields[1].name", "bad-name")
            .With("colour", "blue");
        var (status, body) = await PutAsync(a, "/tenants/client_a/datasets/speed_tracking", broken);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var fields = Errors(body).Select(e => e.Field).ToHashSet();
        Assert.Superset(new HashSet<string> { "file_type", "key_space", "max_file_size_mb", "schema.fields[1].name", "colour" }, fields);
    }

    [Fact]
    public async Task SchemaProblemsAreAllReportedEvenWhenKeysAreFine()
    {
        using var a = await _host.TenantAsync("client_a");
        var broken = DatasetA
            .With("primary_key", new JsonArray("nope", "lane"))
            .With("quality", null);
        var (status, body) = await PutAsync(a, "/tenants/client_a/datasets/speed_tracking", broken);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var errors = Errors(body);
        Assert.Contains(errors, e => e is { Field: "primary_key[0]", Rule: "primary_key" } && e.Message.Contains("'nope' is not a field"));
        Assert.Contains(errors, e => e is { Field: "primary_key[1]", Rule: "primary_key" } && e.Message.Contains("nullable"));
    }

    public static TheoryData<string, string, string, string, string> DatasetRules => new()
    {
        // path, JSON value (or "<remove>"), expected field, rule, message fragment
        { "file_type", "\"parquet\"", "file_type", "one_of", "not one of csv, tsv, avro" },
        { "file_type", "<remove>", "file_type", "required", "is required" },
        { "key_space", "\"has space\"", "key_space", "identifier", "not a valid Cassandra identifier" },
        { "key_space", "\"a_key_space_name_that_is_far_too_long_for_cassandra_49\"", "key_space", "identifier", "at most 48" },
        { "key_space", "<remove>", "key_space", "required", "is required" },
        { "max_file_size_mb", "-5", "max_file_size_mb", "positive_integer", "not a positive whole number" },
        { "max_file_size_mb", "\"lots\"", "max_file_size_mb", "positive_integer", "not a positive whole number" },
        { "max_file_size_mb", "999999", "max_file_size_mb", "range", "over the platform's cap of 4096 MB" },
        { "csv.first.row.as.header", "\"maybe\"", "csv.first.row.as.header", "type", "not a boolean" },
        { "primary_key", "[]", "primary_key", "type", "not a non-empty list" },
        { "primary_key", "[\"sensor_id\",\"sensor_id\"]", "primary_key[1]", "primary_key", "listed twice" },
        { "primary_key", "[\"plate_hash\"]", "primary_key[0]", "primary_key", "nullable" },
        { "partition_key", "[\"reading_id\"]", "partition_key", "primary_key", "leading fields of primary_key" },
        { "schema", "<remove>", "schema", "required", "Avro record schema" },
        { "schema", "\"string\"", "schema", "avro_record", "must be an Avro record" },
        { "schema.name", "\"quarantine\"", "schema.name", "reserved_name", "reserved" },
        { "schema.fields[2].type.logicalType", "\"datetime\"", "schema.fields[2].type.logicalType", "avro_schema", "unknown logical type 'datetime'" },
        { "schema.fields[3].type", "{\"type\":\"long\",\"logicalType\":\"time-millis\"}", "schema.fields[3].type.logicalType", "avro_schema", "'time-millis' annotates int, not long" },
        { "schema.fields[5].type", "[\"null\",\"int\",\"null\"]", "schema.fields[5].type[2]", "avro_schema", "already has a branch of type 'null'" },
        { "schema.fields[5].type", "[\"null\",[\"int\"]]", "schema.fields[5].type[1]", "avro_schema", "may not immediately contain another union" },
        { "schema.fields[5].default", "\"zero\"", "schema.fields[5].default", "avro_schema", "is not a value of any branch" },
        { "schema.fields[6].type.symbols[1]", "\"car\"", "schema.fields[6].type.symbols[1]", "avro_schema", "duplicate symbol 'car'" },
        { "schema.fields[6].type.symbols[0]", "\"4x4\"", "schema.fields[6].type.symbols[0]", "avro_schema", "not a valid symbol" },
        { "schema.fields[7].type", "[\"null\",\"Plate\"]", "schema.fields[7].type[1]", "avro_schema", "unknown type 'Plate'" },
        { "schema.fields[7].name", "\"Reading_ID\"", "schema.fields[7].name", "unique_column_names", "differ only in case" },
        { "schema.fields[0].name", "\"sensor-id\"", "schema.fields[0].name", "avro_schema", "not a valid field name" },
        { "quality.validity.speed_kmh.min", "\"zero\"", "quality.validity.speed_kmh.min", "type", "not a number" },
        { "quality.completeness[0]", "\"colour\"", "quality.completeness[0]", "field_reference", "'colour' is not a field" },
        { "quality.validity.plate_hash", "{\"pattern\":\"(unclosed\"}", "quality.validity.plate_hash.pattern", "pattern", "not a supported regular expression" },
        { "quality.timeliness", "{\"field\":\"speed_kmh\",\"max_age_days\":1}", "quality.timeliness.field", "type", "needs a date or timestamp field" },
        { "formats", "{\"time\":[\"HH:mm:ss\", \"\"]}", "formats.time[1]", "format", "not a valid date/time format" },
        { "on_error", "\"explode\"", "on_error", "one_of", "continue, skip_file, abort" },
        { "max_error_ratio", "1.5", "max_error_ratio", "range", "from 0 to 1" },
        { "ingestion_mode", "\"sometimes\"", "ingestion_mode", "one_of", "batch, stream, both" },
        { "delimiter", "\";;\"", "delimiter", "type", "one character" },
        { "name", "\"other_name\"", "name", "matches", "does not match the name in the URL" },
        { "primary_keys", "[\"sensor_id\"]", "primary_keys", "unknown_property", "not a data configuration property" },
    };

    [Theory]
    [MemberData(nameof(DatasetRules))]
    public async Task EachDataConfigurationRuleNamesTheFieldAndTheRule(string path, string value, string field, string rule, string fragment)
    {
        using var a = await _host.TenantAsync("rules_a");
        var document = value == "<remove>" ? DatasetA.Without(path) : DatasetA.With(path, JsonNode.Parse(value));
        var (status, body) = await PutAsync(a, "/tenants/rules_a/datasets/speed_tracking", document);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var errors = Errors(body);
        Assert.True(errors.Any(e => e.Field == field && e.Rule == rule && e.Message.Contains(fragment, StringComparison.Ordinal)),
            $"expected {field}/{rule} '{fragment}', got: {string.Join(" | ", errors)}");
    }

    public static TheoryData<string, string, string, string, string> AgreementRules => new()
    {
        { "client", "\"client_z\"", "client", "matches", "does not match the tenant in the URL" },
        { "data_retention_period_days", "\"ninety\"", "data_retention_period_days", "positive_integer", "not a positive whole number" },
        { "data_retention_period_days", "0", "data_retention_period_days", "positive_integer", "not a positive whole number" },
        { "data_retention_period_days", "-3", "data_retention_period_days", "positive_integer", "not a positive whole number" },
        { "data_retention_period_days", "1.5", "data_retention_period_days", "positive_integer", "not a positive whole number" },
        { "data_retention_period_days", "9000", "data_retention_period_days", "range", "Cassandra's TTL limit" },
        { "data_retention_period_days", "<remove>", "data_retention_period_days", "required", "is required" },
        { "schedule", "\"every five minutes\"", "schedule", "cron", "has 3 fields" },
        { "schedule", "\"61 * * * *\"", "schedule", "cron", "61 is outside 0-59" },
        { "schedule", "\"*/0 * * * *\"", "schedule", "cron", "must be a positive integer" },
        { "schedule", "\"0 0 1 * MON\"", "schedule", "cron", "restricts both day of month and day of week" },
        { "schedule", "\"0 0 * FOO *\"", "schedule", "cron", "not a number or a name" },
        { "schedule", "\"* * * * * *\"", "schedule", "cron", "has 6 fields" },
        { "resources.requests.cpu", "\"lots\"", "resources.requests.cpu", "kubernetes_cpu_quantity", "'lots' is not a CPU quantity" },
        { "resources.limits.memory", "\"512MB\"", "resources.limits.memory", "kubernetes_memory_quantity", "'MB' is not a Kubernetes unit" },
        { "resources.limits.memory", "\"100m\"", "resources.limits.memory", "kubernetes_memory_quantity", "fraction of a byte" },
        { "resources.requests.memory", "\"2Gi\"", "resources.requests.memory", "requests_within_limits", "requests must be within limits" },
        { "resources.requests.cpu", "\"1500m\"", "resources.requests.cpu", "requests_within_limits", "requests must be within limits" },
        { "resources.limits", "<remove>", "resources.limits", "required", "is required" },
        { "quotas", "{\"files_per_day\": 0}", "quotas.files_per_day", "positive_integer", "not a positive whole number" },
        { "quotas", "{\"bananas\": 3}", "quotas.bananas", "unknown_property", "is not a quota" },
        { "batch_app", "\"rm -rf /\"", "batch_app", "type", "an app the platform provides" },
        { "batch_app.timeout_seconds", "0", "batch_app.timeout_seconds", "range", "from 1 to 86400" },
    };

    [Theory]
    [MemberData(nameof(AgreementRules))]
    public async Task EachAgreementRuleNamesTheFieldAndTheRule(string path, string value, string field, string rule, string fragment)
    {
        using var a = await _host.TenantAsync("client_a");
        var document = value == "<remove>" ? AgreementA.Without(path) : AgreementA.With(path, JsonNode.Parse(value));
        var (status, body) = await PutAsync(a, "/tenants/client_a/agreement", document);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var errors = Errors(body);
        Assert.True(errors.Any(e => e.Field == field && e.Rule == rule && e.Message.Contains(fragment, StringComparison.Ordinal)),
            $"expected {field}/{rule} '{fragment}', got: {string.Join(" | ", errors)}");
    }

    /// <summary>Tenant A's dataset with one more field of the given type.</summary>
    private static JsonObject WithField(JsonNode type)
    {
        var dataset = DatasetA.DeepClone().AsObject();
        dataset["schema"]!["fields"]!.AsArray().Add(new JsonObject { ["name"] = "extra", ["type"] = type });
        return dataset;
    }

    private static JsonObject Enum(int symbols) => new()
    {
        ["type"] = "enum", ["name"] = "Big", ["symbols"] = new JsonArray(Enumerable.Range(0, symbols).Select(i => (JsonNode)$"S{i}").ToArray()),
    };

    [Theory]
    [InlineData("max_symbols")]
    [InlineData("max_depth")]
    [InlineData("max_fields")]
    [InlineData("max_name_length")]
    public async Task SchemasOverASizeLimitAre400NamingTheLimit(string limit)
    {
        using var a = await _host.TenantAsync("client_a");
        JsonNode nested = "int";
        for (var i = 0; i < 40; i++)
        {
            nested = new JsonObject { ["type"] = "array", ["items"] = nested };
        }

        var document = limit switch
        {
            // 100,000 symbols is 0.9 MB, under the body limit: it once took 35 s to check.
            "max_symbols" => WithField(Enum(100_000)),
            "max_depth" => WithField(nested),
            "max_fields" => WithField(new JsonObject
            {
                ["type"] = "record", ["name"] = "Wide",
                ["fields"] = new JsonArray(Enumerable.Range(0, 1001).Select(i => (JsonNode)new JsonObject { ["name"] = $"f{i}", ["type"] = "int" }).ToArray()),
            }),
            _ => WithField(new JsonObject { ["type"] = "enum", ["name"] = new string('N', 200), ["symbols"] = new JsonArray("A") }),
        };

        var (status, body) = await PutAsync(a, "/tenants/client_a/datasets/speed_tracking", document);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(Errors(body), e => e.Field.StartsWith("schema.fields[8].type", StringComparison.Ordinal) && e.Message.Contains(limit, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ASchemaAtTheLimitsIsAcceptedAndParsedOnceForAllListings()
    {
        using var a = await _host.TenantAsync("client_a");
        Assert.Equal(HttpStatusCode.Created, (await PutAsync(a, "/tenants/client_a/datasets/speed_tracking", WithField(Enum(10_000)))).Status);

        var catalog = _host.Services.GetRequiredService<Catalog.Datasets.DatasetCatalog>();
        var first = Assert.Single(await catalog.ListAsync("client_a", CancellationToken.None));
        Assert.True(ReferenceEquals(first, Assert.Single(await catalog.ListAsync("client_a", CancellationToken.None))), "parsed again");
        Assert.True(ReferenceEquals(first, await catalog.GetAsync("client_a", "speed_tracking", CancellationToken.None)), "parsed again");
    }

    [Fact]
    public async Task MalformedJsonAndNonObjectsAreClear400s()
    {
        using var a = await _host.TenantAsync("client_a");
        var response = await a.PutAsync("/tenants/client_a/agreement", new StringContent("{\"client\": ", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not valid JSON", (await response.ReadJsonAsync()).GetProperty("detail").GetString());

        response = await a.PutAsync("/tenants/client_a/agreement", new StringContent("[1,2]", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task TwoTenantsCanBothUseTheSameKeySpaceName()
    {
        using var a = await _host.TenantAsync("shop_one");
        using var b = await _host.TenantAsync("shop_two");
        var (statusA, viewA) = await PutAsync(a, "/tenants/shop_one/datasets/reviews", DatasetB.With("key_space", "analytics").Without("name"));
        var (statusB, viewB) = await PutAsync(b, "/tenants/shop_two/datasets/reviews", DatasetB.With("key_space", "analytics").Without("name"));

        Assert.Equal(HttpStatusCode.Created, statusA);
        Assert.Equal(HttpStatusCode.Created, statusB);
        Assert.Equal("t8_shop_one_analytics", viewA.GetProperty("physical_keyspace").GetString());
        Assert.Equal("t8_shop_two_analytics", viewB.GetProperty("physical_keyspace").GetString());
    }

    [Fact]
    public async Task ADatasetThatWouldShareATableWithADifferentSchemaIs409()
    {
        using var a = await _host.TenantAsync("client_a");
        Assert.Equal(HttpStatusCode.Created, (await PutAsync(a, "/tenants/client_a/datasets/speed_tracking", DatasetA)).Status);

        var sameTable = DatasetA.With("name", "speed_copy").With("schema.fields[4].type", "float");
        var (status, body) = await PutAsync(a, "/tenants/client_a/datasets/speed_copy", sameTable);
        Assert.Equal(HttpStatusCode.Conflict, status);
        var detail = body.GetProperty("detail").GetString();
        Assert.Contains("tracking.speedreading", detail);
        Assert.Contains("'speed_tracking'", detail);

        var identical = DatasetA.With("name", "speed_alias");
        Assert.Equal(HttpStatusCode.Created, (await PutAsync(a, "/tenants/client_a/datasets/speed_alias", identical)).Status);
        var otherKeySpace = sameTable.With("name", "speed_float").With("key_space", "tracking_v2");
        Assert.Equal(HttpStatusCode.Created, (await PutAsync(a, "/tenants/client_a/datasets/speed_float", otherKeySpace)).Status);
    }

    [Fact]
    public async Task OnlyOneDatasetCanBeTheDefault()
    {
        using var a = await _host.TenantAsync("client_a");
        Assert.Equal(HttpStatusCode.Created, (await PutAsync(a, "/tenants/client_a/datasets/first", DatasetA.Without("name").With("default", true))).Status);
        var (status, _) = await PutAsync(a, "/tenants/client_a/datasets/second",
            DatasetA.Without("name").With("key_space", "other").With("default", true));
        Assert.Equal(HttpStatusCode.Conflict, status);
    }

    [Theory]
    [InlineData(".hidden")]
    [InlineData("-dash-first")]
    [InlineData("has space")]
    [InlineData("a_name_longer_than_sixty_four_characters_is_refused_here_0123456789")]
    public async Task ADatasetNameInTheUrlMustBeAName(string name)
    {
        using var a = await _host.TenantAsync("client_a");
        var (status, body) = await PutAsync(a, "/tenants/client_a/datasets/" + Uri.EscapeDataString(name), DatasetA.Without("name"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(Errors(body), e => e.Field == "name" && e.Rule == "identifier");
    }

    [Theory]
    [InlineData("speed-tracking-data")]
    [InlineData("Readings.v2")]
    public async Task DatasetNamesTakeWhatUrlsAndTheSeedUse(string name)
    {
        using var a = await _host.TenantAsync("client_a");
        Assert.Equal(HttpStatusCode.Created, (await PutAsync(a, "/tenants/client_a/datasets/" + name, DatasetA.Without("name"))).Status);
        var fileId = await a.UploadAsync("client_a", name, "r.csv", File.ReadAllBytes(Repo.Path("schemas", "examples", "client_a", "readings.csv")));
        await a.PutAsync("/tenants/client_a/agreement", Repo.Body(Flows.AgreementWithoutApp()));
        await a.IngestAndWaitAsync("client_a", name);
        Assert.Equal(name, (await a.FileAsync("client_a", fileId)).GetProperty("dataset").GetString());
        Assert.NotEmpty(await a.AllRowsAsync("client_a", name));
    }
}
