using System.Text.Json;
using System.Text.Json.Nodes;
using Mysimbdp.Avro;
using Mysimbdp.Tests.Oracles;

namespace Platform.Tests.Batch;

public sealed class AvroFileTests : IAsyncLifetime
{
    private PlatformHost _host = null!;

    public async Task InitializeAsync() => _host = await PlatformHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>The dataset's schema: tenant A's, with sensor_id widened to long and a new field with a default.</summary>
    private static JsonObject Dataset()
    {
        var dataset = Flows.DatasetA("readings_avro").With("file_type", "avro");
        var fields = dataset["schema"]!["fields"]!.AsArray();
        fields[0]!["type"] = "long";
        fields.Add(new JsonObject { ["name"] = "source", ["type"] = "string", ["default"] = "sensor-network" });
        return dataset;
    }

    /// <summary>The writer's (older) schema: tenant A's as it was, fields in another order.</summary>
    internal static RecordSchema WriterSchema()
    {
        var schema = Repo.Example("client_a", "dataset")["schema"]!.AsObject();
        var fields = schema["fields"]!.AsArray().Select(f => f!.DeepClone()).Reverse().ToArray();
        schema["fields"] = new JsonArray(fields);
        return (RecordSchema)Schema.Parse(schema.ToJsonString());
    }

    private static List<GenericRecord> Records(RecordSchema schema, int count)
    {
        var classes = (EnumSchema)schema.GetField("vehicle_class")!.Schema;
        return Enumerable.Range(1, count).Select(i =>
        {
            var record = new GenericRecord(schema);
            record["sensor_id"] = 7;
            record["reading_id"] = i;
            record["date"] = 20_500;
            record["time"] = 3_600_000 + i;
            record["speed_kmh"] = i % 10 == 0 ? -1.0 : 40.5;
            record["lane"] = i % 2 == 0 ? null : 2;
            record["vehicle_class"] = new GenericEnumSymbol(classes, "bus");
            record["plate_hash"] = "x" + i;
            return record;
        }).ToList();
    }

    /// <summary>A container file written by the project's library, which Apache.Avro must read back record for record.</summary>
    private static byte[] File(RecordSchema schema, int count, string codec)
    {
        var records = Records(schema, count);
        using var stream = new MemoryStream();
        using (var writer = new ContainerWriter(stream, schema, codec, blockSize: 1024, leaveOpen: true))
        {
            records.ForEach(writer.Append);
        }

        stream.Position = 0;
        var read = ApacheAvro.ReadContainer(stream, schema, out var written);
        Assert.Equal(codec, written);
        Assert.Equal(records.Count, read.Count);
        Assert.All(records.Zip(read), p => Assert.True(DatumEquality.Equal(p.First, p.Second), $"{p.First}\n{p.Second}"));
        return stream.ToArray();
    }

    /// <summary>The same records in a container file written by Apache.Avro.</summary>
    internal static byte[] ApacheFile(RecordSchema schema, int count, string codec)
    {
        var apache = ApacheAvro.Parse(schema);
        using var stream = new MemoryStream();
        using (var writer = global::Avro.File.DataFileWriter<object?>.OpenWriter(new global::Avro.Generic.GenericDatumWriter<object?>(apache), stream,
            ApacheAvro.Codec(codec), leaveOpen: true))
        {
            writer.SetSyncInterval(1024);
            Records(schema, count).ForEach(r => writer.Append(ApacheAvro.ToApache(apache, r)));
        }

        return stream.ToArray();
    }

    [Theory]
    [InlineData("null", "mysimbdp")]
    [InlineData("deflate", "mysimbdp")]
    [InlineData("snappy", "mysimbdp")]
    [InlineData("zstandard", "mysimbdp")]
    [InlineData("deflate", "Apache.Avro")]
    [InlineData("snappy", "Apache.Avro")]
    [InlineData("zstandard", "Apache.Avro")]
    public async Task AvroFilesAreResolvedAgainstTheDatasetSchemaAndValidatedLikeCsv(string codec, string writtenBy)
    {
        using var t = await _host.TenantAsync("avro_tenant");
        await t.RegisterAsync("avro_tenant", Dataset(), Flows.AgreementWithoutApp());
        var content = writtenBy == "mysimbdp" ? File(WriterSchema(), 100, codec) : ApacheFile(WriterSchema(), 100, codec);
        var fileId = await t.UploadAsync("avro_tenant", "readings_avro", "readings.avro", content);

        await t.IngestAndWaitAsync("avro_tenant", "readings_avro");
        var file = await t.FileAsync("avro_tenant", fileId);
        Assert.Equal(("partially_loaded", 100L, 90L, 10L), (file.GetProperty("status").GetString(), file.GetProperty("rows_read").GetInt64(),
            file.GetProperty("rows_loaded").GetInt64(), file.GetProperty("rows_quarantined").GetInt64()));

        var row = (await t.AllRowsAsync("avro_tenant", "readings_avro", query: "&sensor_id=7&reading_id=3")).Single();
        Assert.Equal("2026-02-16", row.GetProperty("date").GetString());
        Assert.Equal("01:00:00.003", row.GetProperty("time").GetString());
        Assert.Equal("bus", row.GetProperty("vehicle_class").GetString());
        Assert.Equal("sensor-network", row.GetProperty("source").GetString());
        Assert.Equal(2, row.GetProperty("lane").GetInt32());

        var bad = (await t.AllRowsAsync("avro_tenant", "readings_avro", "quarantine")).First();
        Assert.Equal(10, bad.GetProperty("line").GetInt64());
        Assert.Equal("validity: -1 is below the minimum 0", bad.GetProperty("reason").GetString());
        Assert.Equal(10, JsonDocument.Parse(bad.GetProperty("raw").GetString()!).RootElement.GetProperty("reading_id").GetInt32());
    }

    [Fact]
    public async Task AFileWithAnUnsupportedCodecFailsWithTheCodecNamed()
    {
        using var t = await _host.TenantAsync("avro_codec");
        await t.RegisterAsync("avro_codec", Dataset(), Flows.AgreementWithoutApp());
        var bytes = File(WriterSchema(), 3, "null");
        var text = System.Text.Encoding.Latin1.GetString(bytes).Replace("\u0008null", "\u000abzip2", StringComparison.Ordinal);
        var fileId = await t.UploadAsync("avro_codec", "readings_avro", "bzip2.avro", System.Text.Encoding.Latin1.GetBytes(text));

        await t.IngestAndWaitAsync("avro_codec", "readings_avro");
        var file = await t.FileAsync("avro_codec", fileId);
        Assert.Equal("failed", file.GetProperty("status").GetString());
        Assert.Contains("codec 'bzip2', which is not supported (supported: null, deflate, snappy, zstandard)", file.GetProperty("error").GetString());
    }

    [Fact]
    public async Task AFileWhoseSchemaCannotBeReadAsTheDatasetsFailsWithTheReason()
    {
        using var t = await _host.TenantAsync("avro_mismatch");
        await t.RegisterAsync("avro_mismatch", Dataset(), Flows.AgreementWithoutApp());
        var other = (RecordSchema)Schema.Parse("{\"type\":\"record\",\"name\":\"SpeedReading\",\"namespace\":\"client_a.tracking\",\"fields\":[{\"name\":\"sensor_id\",\"type\":\"string\"}]}");
        using var stream = new MemoryStream();
        using (var writer = new ContainerWriter(stream, other, leaveOpen: true))
        {
            writer.Append(new GenericRecord(other, ["s1"]));
        }

        var fileId = await t.UploadAsync("avro_mismatch", "readings_avro", "other.avro", stream.ToArray());
        await t.IngestAndWaitAsync("avro_mismatch", "readings_avro");
        var file = await t.FileAsync("avro_mismatch", fileId);
        Assert.Equal("failed", file.GetProperty("status").GetString());
        Assert.Contains("cannot be read as the dataset's schema", file.GetProperty("error").GetString());
    }

    [Fact]
    public async Task ANonAvroFileIsRefusedAtUpload()
    {
        using var t = await _host.TenantAsync("avro_upload");
        await t.RegisterAsync("avro_upload", Dataset(), Flows.AgreementWithoutApp());
        var response = await t.PostAsync("/tenants/avro_upload/datasets/readings_avro/files",
            new MultipartFormDataContent { { new ByteArrayContent("a,b\n"u8.ToArray()), "file", "fake.avro" } });
        Assert.Equal(System.Net.HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }
}
