using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Tests;

/// <summary>What tenants do, as API calls: register, upload, ingest and wait, read back.</summary>
public static class Flows
{
    public static async Task RegisterAsync(this HttpClient http, string tenant, JsonObject dataset, JsonObject? agreement)
    {
        var name = dataset["name"]!.GetValue<string>();
        var put = await http.PutAsync($"/tenants/{tenant}/datasets/{name}", Repo.Body(dataset));
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        if (agreement is not null)
        {
            var agreed = await http.PutAsync($"/tenants/{tenant}/agreement", Repo.Body(agreement.With("client", tenant)));
            Assert.True(agreed.IsSuccessStatusCode, await agreed.Content.ReadAsStringAsync());
        }
    }

    public static async Task<string> UploadAsync(this HttpClient http, string tenant, string dataset, string name, byte[] content, string query = "")
    {
        var response = await http.PostAsync($"/tenants/{tenant}/datasets/{dataset}/files{query}", new MultipartFormDataContent { { new ByteArrayContent(content), "file", name } });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.ReadJsonAsync()).GetProperty("file_id").GetString()!;
    }

    /// <summary>Requests a run and polls it until it has finished (or the time limit says something hangs).</summary>
    public static async Task<JsonElement> IngestAndWaitAsync(this HttpClient http, string tenant, string dataset, TimeSpan? within = null)
    {
        var response = await http.PostAsync($"/tenants/{tenant}/datasets/{dataset}/ingest", null);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var runId = (await response.ReadJsonAsync()).GetProperty("run_id").GetString()!;
        return await WaitForRunAsync(http, tenant, runId, within);
    }

    public static Task<JsonElement> WaitForRunAsync(this HttpClient http, string tenant, string runId, TimeSpan? within = null) =>
        Eventually.UntilAsync(async () => JsonDocument.Parse(await http.GetStringAsync($"/tenants/{tenant}/runs/{runId}")).RootElement,
            run => run.GetProperty("status").GetString() is "succeeded" or "partially_succeeded" or "failed", run => $"run {runId} did not finish in time: {run}", within);

    public static async Task<JsonElement> FileAsync(this HttpClient http, string tenant, string fileId) =>
        JsonDocument.Parse(await http.GetStringAsync($"/tenants/{tenant}/files/{fileId}")).RootElement;

    /// <summary>Polls a file until its lake sink says <c>written</c>; returns the file.</summary>
    public static Task<JsonElement> WaitForLakeAsync(this HttpClient http, string tenant, string fileId) =>
        Eventually.UntilAsync(() => http.FileAsync(tenant, fileId),
            f => f.TryGetProperty("sinks", out var s) && s.ValueKind == JsonValueKind.Object && s.GetProperty("lake").GetProperty("status").GetString() == "written",
            f => $"the file's lake files were not written: {f}");

    /// <summary>Every row of a dataset, following paging states.</summary>
    public static async Task<List<JsonElement>> AllRowsAsync(this HttpClient http, string tenant, string dataset, string what = "rows", string query = "")
    {
        var rows = new List<JsonElement>();
        string? state = null;
        do
        {
            var url = $"/tenants/{tenant}/datasets/{dataset}/{what}?limit=1000{query}" + (state is null ? "" : "&paging_state=" + Uri.EscapeDataString(state));
            var page = JsonDocument.Parse(await http.GetStringAsync(url)).RootElement;
            rows.AddRange(page.GetProperty("rows").EnumerateArray().Select(r => r.Clone()));
            state = page.GetProperty("paging_state").GetString();
        }
        while (state is not null);

        return rows;
    }

    /// <summary>Polls a dataset until it holds <paramref name="expected"/> rows (or the time limit says something is stuck).</summary>
    public static Task<List<JsonElement>> WaitForRowsAsync(this HttpClient http, string tenant, string dataset, int expected, TimeSpan? within = null, string what = "rows") =>
        Eventually.UntilAsync(() => http.AllRowsAsync(tenant, dataset, what), rows => rows.Count >= expected, rows => $"{tenant}/{dataset} has {rows.Count} {what}, not {expected}", within);

    /// <summary>
    /// Drops a file into a tenant's staging folder the way the platform asks writers to: written under a dot
    /// name in the same folder, then renamed, so the watcher never sees half a file.
    /// </summary>
    public static string DropFile(string home, string tenant, string folder, string name, byte[] content)
    {
        var directory = System.IO.Path.Combine(home, "staging", tenant, folder);
        Directory.CreateDirectory(directory);
        var writing = System.IO.Path.Combine(directory, "." + name + ".tmp");
        File.WriteAllBytes(writing, content);
        var path = System.IO.Path.Combine(directory, name);
        File.Move(writing, path);
        return path;
    }

    /// <summary>A GET the platform must refuse: 400, problem+json, the first error naming <paramref name="field"/>.</summary>
    public static async Task AssertBadQueryAsync(this HttpClient http, string url, string field)
    {
        var bad = await http.GetAsync(url);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
        Assert.Equal(field, (await bad.ReadJsonAsync()).GetProperty("errors")[0].GetProperty("field").GetString());
    }

    public static JsonObject StreamDatasetA(string name = "speed_tracking") => DatasetA(name).With("ingestion_mode", "stream");

    public static JsonObject DatasetA(string name = "speed_tracking") => Repo.Example("client_a", "dataset").With("name", name);

    public static JsonObject AgreementWithoutApp() => Repo.Example("client_a", "agreement").Without("batch_app");
}
