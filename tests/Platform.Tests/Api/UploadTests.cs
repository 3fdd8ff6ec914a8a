using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Platform.Tests.Api;

public sealed class UploadTests : IAsyncLifetime
{
    private const string Csv = "sensor_id,reading_id,date,time,speed_kmh,lane,vehicle_class,plate_hash\n1,1,2026-03-01,08:00:00,52.5,1,car,\n";
    private PlatformHost _host = null!;
    private HttpClient _tenant = null!;

    public async Task InitializeAsync()
    {
        _host = await PlatformHost.StartAsync();
        _tenant = await _host.TenantAsync("client_a");
        var dataset = Repo.Example("client_a", "dataset").With("max_file_size_mb", 1);
        Assert.Equal(HttpStatusCode.Created, (await _tenant.PutAsync("/tenants/client_a/datasets/speed_tracking", Repo.Body(dataset))).StatusCode);
    }

    public async Task DisposeAsync()
    {
        _tenant.Dispose();
        await _host.DisposeAsync();
    }

    private string TenantFolder => Path.Combine(_host.Home, "staging", "client_a");

    private static MultipartFormDataContent Form(string fileName, byte[] content) =>
        new() { { new ByteArrayContent(content), "file", fileName } };

    /// <summary>A hand-built multipart body, so that a test controls the exact Content-Disposition bytes.</summary>
    private static ByteArrayContent RawForm(string disposition, byte[] content)
    {
        var body = new MemoryStream();
        body.Write(Encoding.UTF8.GetBytes($"--b0undary\r\nContent-Disposition: {disposition}\r\nContent-Type: text/csv\r\n\r\n"));
        body.Write(content);
        body.Write("\r\n--b0undary--\r\n"u8);
        var form = new ByteArrayContent(body.ToArray());
        form.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=b0undary");
        return form;
    }

    private async Task<JsonElement> FilesAsync() =>
        JsonDocument.Parse(await _tenant.GetStringAsync("/tenants/client_a/files")).RootElement.GetProperty("files");

    [Fact]
    public async Task AnUploadedFileIsStagedAndListed()
    {
        var response = await _tenant.PostAsync("/tenants/client_a/datasets/speed_tracking/files", Form("readings.csv", Encoding.UTF8.GetBytes(Csv)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.Equal("staged", body.GetProperty("status").GetString());
        Assert.Equal(Csv.Length, body.GetProperty("bytes").GetInt64());
        var id = body.GetProperty("file_id").GetString()!;
        var staged = Path.Combine(TenantFolder, "in", "speed_tracking", $"{id}__readings.csv");
        Assert.Equal(Csv, await File.ReadAllTextAsync(staged));

        var listed = Assert.Single((await FilesAsync()).EnumerateArray());
        Assert.Equal(id, listed.GetProperty("file_id").GetString());
        Assert.Equal("readings.csv", listed.GetProperty("name").GetString());
        Assert.Equal("speed_tracking", listed.GetProperty("dataset").GetString());
        Assert.Equal("staged", listed.GetProperty("status").GetString());
        Assert.True(listed.GetProperty("received_at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-1));
    }

    [Fact]
    public async Task AFileOverTheLimitIs413AndLeavesNothingBehind()
    {
        var big = new byte[(1024 * 1024) + 10];
        Array.Fill(big, (byte)'7');
        using var request = new HttpRequestMessage(HttpMethod.Post, "/tenants/client_a/datasets/speed_tracking/files") { Content = Form("big.csv", big) };
        request.Headers.ExpectContinue = true;
        var response = await _tenant.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var problem = await response.ReadJsonAsync();
        Assert.Equal("max_file_size_mb", problem.GetProperty("quota").GetString());
        Assert.Empty(Directory.Exists(TenantFolder) ? Directory.EnumerateFiles(TenantFolder, "*", SearchOption.AllDirectories) : []);
        Assert.Empty((await FilesAsync()).EnumerateArray());
    }

    [Fact]
    public async Task AStreamedFileWithoutALengthIsCutOffAtTheLimit()
    {
        var big = new byte[3 * 1024 * 1024];
        Array.Fill(big, (byte)'7');
        var part = new StreamContent(new NonSeekableStream(big));
        var form = new MultipartFormDataContent { { part, "file", "streamed.csv" } };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/tenants/client_a/datasets/speed_tracking/files") { Content = form };
        var response = await _tenant.SendAsync(request);

        Assert.Null(request.Content.Headers.ContentLength);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(Directory.Exists(TenantFolder) ? Directory.EnumerateFiles(TenantFolder, "*", SearchOption.AllDirectories) : []);
        Assert.Empty((await FilesAsync()).EnumerateArray());
    }

    [Theory]
    [InlineData("form-data; name=\"file\"; filename=\"../../x.csv\"", "x.csv")]
    [InlineData("form-data; name=\"file\"; filename=\"/etc/cron.d/evil.csv\"", "evil.csv")]
    [InlineData("form-data; name=\"file\"; filename=\"..\\\\..\\\\win.csv\"", "win.csv")]
    [InlineData("form-data; name=\"file\"; filename*=UTF-8''a%00b%2F..%2Fc.csv", "c.csv")]
    [InlineData("form-data; name=\"file\"; filename=\"..csv\"", "upload.csv")]
    [InlineData("form-data; name=\"file\"; filename=\"r\u00e9sum\u00e9 (1).csv\"", "r_sum___1_.csv")]
    public async Task HostileNamesStayInsideTheTenantFolder(string disposition, string expectedName)
    {
        var response = await _tenant.PostAsync("/tenants/client_a/datasets/speed_tracking/files", RawForm(disposition, Encoding.UTF8.GetBytes(Csv)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.ReadJsonAsync();
        Assert.Equal(expectedName, body.GetProperty("name").GetString());
        var folder = Path.Combine(TenantFolder, "in", "speed_tracking");
        var file = Assert.Single(Directory.EnumerateFiles(_host.Home, "*.csv", SearchOption.AllDirectories));
        Assert.Equal(folder, Path.GetDirectoryName(file));
        Assert.Equal($"{body.GetProperty("file_id").GetString()}__{expectedName}", Path.GetFileName(file));
    }

    [Fact]
    public async Task AVeryLongNameIsShortenedAndKeepsItsExtension()
    {
        var name = new string('n', 5000) + ".csv";
        var response = await _tenant.PostAsync("/tenants/client_a/datasets/speed_tracking/files", Form(name, Encoding.UTF8.GetBytes(Csv)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var stored = (await response.ReadJsonAsync()).GetProperty("name").GetString()!;
        Assert.Equal(100, stored.Length);
        Assert.EndsWith(".csv", stored);
    }

    [Fact]
    public async Task TwoUploadsWithTheSameNameAreTwoFiles()
    {
        var first = await (await _tenant.PostAsync("/tenants/client_a/datasets/speed_tracking/files", Form("a.csv", Encoding.UTF8.GetBytes(Csv)))).ReadJsonAsync();
        var second = await (await _tenant.PostAsync("/tenants/client_a/datasets/speed_tracking/files", Form("a.csv", Encoding.UTF8.GetBytes(Csv + Csv[^20..])))).ReadJsonAsync();

        Assert.NotEqual(first.GetProperty("file_id").GetString(), second.GetProperty("file_id").GetString());
        Assert.Equal(2, Directory.GetFiles(Path.Combine(TenantFolder, "in", "speed_tracking")).Length);
        Assert.Equal(2, (await FilesAsync()).GetArrayLength());
    }

    [Fact]
    public async Task TheWrongKindOfFileIs415()
    {
        var spreadsheet = await _tenant.PostAsync("/tenants/client_a/datasets/speed_tracking/files", Form("sheet.xlsx", Encoding.UTF8.GetBytes(Csv)));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, spreadsheet.StatusCode);
        Assert.Contains("takes csv files", (await spreadsheet.ReadJsonAsync()).GetProperty("detail").GetString());

        var binary = await _tenant.PostAsync("/tenants/client_a/datasets/speed_tracking/files", Form("zipped.csv", [0x1f, 0x8b, 0x08, 0x00, 0x00]));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, binary.StatusCode);

        var json = await _tenant.PostAsync("/tenants/client_a/datasets/speed_tracking/files", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        Assert.Empty((await FilesAsync()).EnumerateArray());
    }

    [Fact]
    public async Task ANulByteIsRefusedWhereverItIsInTheFile()
    {
        var late = Encoding.UTF8.GetBytes(Csv + string.Concat(Enumerable.Range(2, 600).Select(i => $"1,{i},2026-03-01,08:00:00,52.5,1,car,\n")));
        late[20_000] = 0;
        var response = await _tenant.PostAsync("/tenants/client_a/datasets/speed_tracking/files", Form("late-nul.csv", late));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("NUL byte at offset 20000", (await response.ReadJsonAsync()).GetProperty("detail").GetString());
        Assert.Empty((await FilesAsync()).EnumerateArray());
        Assert.Empty(Directory.GetFiles(Path.Combine(TenantFolder, ".incoming")));
    }

    [Fact]
    public async Task TwoFilePartsInOneRequestAre400AndNothingIsKept()
    {
        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(Encoding.UTF8.GetBytes(Csv)), "file", "first.csv" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes(Csv)), "file", "second.csv" },
        };
        var response = await _tenant.PostAsync("/tenants/client_a/datasets/speed_tracking/files", form);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.ReadJsonAsync()).GetProperty("errors")[0];
        Assert.Equal(("file", "single"), (error.GetProperty("field").GetString(), error.GetProperty("rule").GetString()));
        Assert.Empty((await FilesAsync()).EnumerateArray());
        Assert.Empty(Directory.GetFiles(Path.Combine(TenantFolder, ".incoming")));
        var usage = JsonDocument.Parse(await _tenant.GetStringAsync("/tenants/client_a/usage")).RootElement;
        Assert.Equal((0, 0), (usage.GetProperty("quotas").GetProperty("files_per_day").GetProperty("used").GetInt32(), usage.GetProperty("staged_bytes").GetInt32()));
    }

    [Fact]
    public async Task AFormWithoutAFileFieldIs400AndAnEmptyFileToo()
    {
        var noFile = await _tenant.PostAsync("/tenants/client_a/datasets/speed_tracking/files", new MultipartFormDataContent { { new StringContent("x"), "other" } });
        Assert.Equal(HttpStatusCode.BadRequest, noFile.StatusCode);
        Assert.Equal("file", (await noFile.ReadJsonAsync()).GetProperty("errors")[0].GetProperty("field").GetString());

        var empty = await _tenant.PostAsync("/tenants/client_a/datasets/speed_tracking/files", Form("empty.csv", []));
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Empty((await FilesAsync()).EnumerateArray());
    }

    [Fact]
    public async Task UploadingToAnUnknownDatasetIs404()
    {
        var response = await _tenant.PostAsync("/tenants/client_a/datasets/nope/files", Form("a.csv", Encoding.UTF8.GetBytes(Csv)));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task TheSeedAliasesUploadToTheOnlyDatasetAndListFiles()
    {
        var response = await _tenant.PostAsync("/upload-file/client_a", Form("seed.csv", Encoding.UTF8.GetBytes(Csv)));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("speed_tracking", (await response.ReadJsonAsync()).GetProperty("dataset").GetString());

        var files = JsonDocument.Parse(await _tenant.GetStringAsync("/tenant/client_a")).RootElement.GetProperty("files");
        Assert.Equal("seed.csv", Assert.Single(files.EnumerateArray()).GetProperty("name").GetString());
    }

    [Fact]
    public async Task TheSeedAliasNeedsADefaultWhenThereAreSeveralDatasets()
    {
        var second = Repo.Example("client_a", "dataset").Without("name").With("key_space", "other");
        await _tenant.PutAsync("/tenants/client_a/datasets/second", Repo.Body(second));
        var response = await _tenant.PostAsync("/upload-file/client_a", Form("seed.csv", Encoding.UTF8.GetBytes(Csv)));
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("none is the default", (await response.ReadJsonAsync()).GetProperty("detail").GetString());
    }

    /// <summary>A stream that hides its length, so that HttpClient sends the body chunked.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    }
}
