using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Tests.Batch;

namespace Platform.Tests.Api;

/// <summary>
/// A configuration proposed from a sample: the seed tenants' files as they are, and an Avro file written by
/// Apache.Avro, each proposed, registered as proposed and loaded whole from the same file.
/// </summary>
public sealed class InferenceTests : IAsyncLifetime
{
    private PlatformHost _host = null!;

    public async Task InitializeAsync() => _host = await PlatformHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static async Task<HttpResponseMessage> InferAsync(HttpClient http, string tenant, string fileName, byte[] content, string query = "")
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(content), "file", fileName } };
        return await http.PostAsync($"/tenants/{tenant}/datasets/infer{query}", form);
    }

    private static Dictionary<string, string> Types(JsonElement inferred) =>
        inferred.GetProperty("fields").EnumerateArray().ToDictionary(f => f.GetProperty("field").GetString()!, f => f.GetProperty("type").GetString()! + (f.GetProperty("nullable").GetBoolean() ? "?" : ""));

    /// <summary>Registers the proposal as it is, uploads the sample to it and ingests it: every row loads.</summary>
    private static async Task LoadAsIsAsync(HttpClient http, string tenant, JsonElement inferred, string fileName, byte[] content, int rows)
    {
        var configuration = JsonNode.Parse(inferred.GetProperty("configuration").GetRawText())!.AsObject();
        var name = configuration["name"]!.GetValue<string>();
        await http.RegisterAsync(tenant, configuration, Flows.AgreementWithoutApp());
        var fileId = await http.UploadAsync(tenant, name, fileName, content);
        var run = await http.IngestAndWaitAsync(tenant, name);
        Assert.True(run.GetProperty("status").GetString() == "succeeded", run.ToString());
        Assert.Equal(rows, (await http.FileAsync(tenant, fileId)).GetProperty("rows_loaded").GetInt64());
    }

    [Fact]
    public async Task TheSeedTenantsFilesGetConfigurationsThatRegisterAndLoadThem()
    {
        using var a = await _host.TenantAsync("infer_a");
        var readings = File.ReadAllBytes(Repo.Path("schemas", "examples", "client_a", "readings.csv"));
        var answer = await InferAsync(a, "infer_a", "readings.csv", readings);
        var inferred = await answer.ReadJsonAsync();
        Assert.True(answer.StatusCode == HttpStatusCode.OK, inferred.ToString());
        Assert.Equal(new Dictionary<string, string>
        {
            ["sensor_id"] = "int", ["reading_id"] = "long", ["date"] = "date", ["time"] = "time", ["speed_kmh"] = "double",
            ["lane"] = "int?", ["vehicle_class"] = "string", ["plate_hash"] = "string?",
        }, Types(inferred));
        var configuration = inferred.GetProperty("configuration");
        Assert.Equal(["sensor_id", "reading_id"], configuration.GetProperty("primary_key").EnumerateArray().Select(k => k.GetString()));
        Assert.Equal("csv", configuration.GetProperty("file_type").GetString());
        Assert.Equal("readings", configuration.GetProperty("name").GetString());
        Assert.Equal(10, inferred.GetProperty("rows_sampled").GetInt64());
        await LoadAsIsAsync(a, "infer_a", inferred, "readings.csv", readings, 10);

        using var b = await _host.TenantAsync("infer_b");
        var reviews = File.ReadAllBytes(Repo.Path("schemas", "examples", "client_b", "reviews.tsv"));
        inferred = await (await InferAsync(b, "infer_b", "reviews.tsv", reviews, "?name=product_reviews&key_space=reviews")).ReadJsonAsync();
        configuration = inferred.GetProperty("configuration");
        Assert.Equal("tsv", configuration.GetProperty("file_type").GetString());
        Assert.Equal("product_reviews", configuration.GetProperty("name").GetString());
        Assert.Equal("ProductReviews", configuration.GetProperty("schema").GetProperty("name").GetString());
        Assert.Equal(["review_id"], configuration.GetProperty("primary_key").EnumerateArray().Select(k => k.GetString()));
        var types = Types(inferred);
        Assert.Equal("date", types["review_date"]);
        Assert.Equal("int", types["star_rating"]);
        Assert.Equal("string?", types["review_body"]);
        var lines = Encoding.UTF8.GetString(reviews).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1;
        await LoadAsIsAsync(b, "infer_b", inferred, "reviews.tsv", reviews, lines);
    }

    [Fact]
    public async Task AnAvroFilesOwnSchemaIsProposedWithAKeyFromItsRecords()
    {
        using var t = await _host.TenantAsync("infer_avro");
        var schema = AvroFileTests.WriterSchema();
        var content = AvroFileTests.ApacheFile(schema, 50, "deflate");
        var inferred = await (await InferAsync(t, "infer_avro", "speed.avro", content)).ReadJsonAsync();
        var configuration = inferred.GetProperty("configuration");
        Assert.Equal("avro", configuration.GetProperty("file_type").GetString());
        Assert.Equal(schema.Fingerprint64, Mysimbdp.Avro.Schema.Parse(configuration.GetProperty("schema").GetRawText()).Fingerprint64);
        Assert.Equal(["reading_id"], configuration.GetProperty("primary_key").EnumerateArray().Select(k => k.GetString()));
        Assert.Equal(50, inferred.GetProperty("rows_sampled").GetInt64());

        // The writer's speed of -1 on every tenth record breaks no rule here: there are none until the tenant adds them.
        await LoadAsIsAsync(t, "infer_avro", inferred, "speed.avro", content, 50);
    }

    [Fact]
    public async Task AHeaderlessFileAndBadSamplesAreAnsweredPlainly()
    {
        using var t = await _host.TenantAsync("infer_odd");
        var headerless = "1,2026-03-01,true\n2,2026-03-02,false\n3,,true\n"u8.ToArray();
        var inferred = await (await InferAsync(t, "infer_odd", "data.csv", headerless)).ReadJsonAsync();
        Assert.False(inferred.GetProperty("configuration").GetProperty("csv.first.row.as.header").GetBoolean());
        Assert.Equal(new Dictionary<string, string> { ["column_1"] = "int", ["column_2"] = "date?", ["column_3"] = "boolean" }, Types(inferred));
        Assert.Contains(inferred.GetProperty("notes").EnumerateArray(), n => n.GetString()!.Contains("no header", StringComparison.Ordinal));

        // Header names that are not Avro names become fields that are, and the note says the header must follow.
        var spaced = await (await InferAsync(t, "infer_odd", "spaced.csv", "order id,total amount\n1,2.5\n2,3\n"u8.ToArray())).ReadJsonAsync();
        Assert.Equal(["order_id", "total_amount"], spaced.GetProperty("fields").EnumerateArray().Select(f => f.GetProperty("field").GetString()));
        Assert.Contains(spaced.GetProperty("notes").EnumerateArray(), n => n.GetString()!.Contains("'order id'", StringComparison.Ordinal));

        async Task Refused(HttpResponseMessage response, HttpStatusCode status, string field)
        {
            var problem = await response.ReadJsonAsync();
            Assert.True(response.StatusCode == status, problem.ToString());
            if (status == HttpStatusCode.BadRequest)
            {
                Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("field").GetString() == field);
            }
        }

        await Refused(await InferAsync(t, "infer_odd", "broken.avro", "Obj\u0001 not really"u8.ToArray()), HttpStatusCode.BadRequest, "file");
        await Refused(await InferAsync(t, "infer_odd", "empty.csv", []), HttpStatusCode.BadRequest, "file");
        await Refused(await InferAsync(t, "infer_odd", "data.csv", headerless, "?key_space=no-dashes"), HttpStatusCode.BadRequest, "key_space");
        await Refused(await InferAsync(t, "infer_odd", "data.csv", headerless, "?file_type=parquet"), HttpStatusCode.BadRequest, "file_type");
        await Refused(await t.PostAsync("/tenants/infer_odd/datasets/infer", new StringContent("a,b\n1,2\n")), HttpStatusCode.UnsupportedMediaType, "");
        using var other = await _host.TenantAsync("infer_other");
        Assert.Equal(HttpStatusCode.Forbidden, (await InferAsync(other, "infer_odd", "data.csv", headerless)).StatusCode);
    }
}
