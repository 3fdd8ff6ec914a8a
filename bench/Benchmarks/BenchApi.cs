using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Benchmarks;

/// <summary>The platform's API as the benchmarks use it: an admin client, requests that must succeed, the tenant A set-up.</summary>
internal static class BenchApi
{
    public const string AdminSecret = "bench-admin-secret-0123456789abcdef";

    public static async Task<HttpClient> AdminClientAsync(Uri baseAddress)
    {
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(30) };
        var token = await http.PostAsJsonAsync("/auth/token", new { client_id = "admin", client_secret = AdminSecret });
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            JsonDocument.Parse(await token.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString());
        return http;
    }

    /// <summary>Sends a request and returns its JSON answer; any error status stops the benchmark with the answer.</summary>
    public static async Task<JsonElement> SendAsync(HttpClient http, HttpMethod method, string path, HttpContent? content)
    {
        var response = await http.SendAsync(new HttpRequestMessage(method, path) { Content = content });
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {body}");
        }

        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Creates <paramref name="tenant"/> with the seed tenant A's dataset (changed by <paramref name="dataset"/>) and its agreement without the batch app.</summary>
    public static async Task RegisterTenantAAsync(HttpClient http, string root, string tenant, Action<JsonObject> dataset)
    {
        JsonObject Example(string name) => JsonNode.Parse(File.ReadAllText(Path.Combine(root, "schemas", "examples", "client_a", name + ".json")))!.AsObject();
        await SendAsync(http, HttpMethod.Post, "/tenants", Json(new JsonObject { ["id"] = tenant }));
        var config = Example("dataset");
        dataset(config);
        await SendAsync(http, HttpMethod.Put, $"/tenants/{tenant}/datasets/speed_tracking", Json(config));
        var agreement = Example("agreement");
        agreement.Remove("batch_app");
        agreement["client"] = tenant;
        await SendAsync(http, HttpMethod.Put, $"/tenants/{tenant}/agreement", Json(agreement));
    }

    public static StringContent Json(JsonNode json) => new(json.ToJsonString(), Encoding.UTF8, "application/json");
}
