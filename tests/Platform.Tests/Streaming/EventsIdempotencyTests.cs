using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Platform.Tests.Streaming;

/// <summary>
/// Idempotency-Key on the events endpoint: retries, in sequence, in parallel and after a restart, answer the first
/// 202 and store nothing twice (the tenant's usage counts the events once); the same key with another body is 422;
/// a refused request leaves its key free.
/// </summary>
public sealed class EventsIdempotencyTests
{
    private const string Events = "/tenants/idem/datasets/live/events";

    private static HttpRequestMessage Post(string? key, int sensor, int count)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Events)
        {
            Content = new StringContent(string.Join('\n', Enumerable.Range(1, count).Select(i =>
                $$"""{"sensor_id": {{sensor}}, "reading_id": {{i}}, "date": "2026-03-01", "time": "08:00:00", "speed_kmh": 50, "vehicle_class": "car"}""")), Encoding.UTF8, "application/x-ndjson"),
        };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return request;
    }

    private static async Task<long> RowsCountedAsync(HttpClient http) =>
        (await http.GetFromJsonAsync<JsonElement>("/tenants/idem/usage")).GetProperty("quotas").GetProperty("rows_per_day").GetProperty("used").GetInt64();

    [Fact]
    public async Task ARetryAnswersTheFirstAnswerAndStoresNothingTwice()
    {
        await using var host = await PlatformHost.StartAsync();
        using var t = await host.TenantAsync("idem");
        await t.RegisterAsync("idem", Flows.StreamDatasetA("live"), Flows.AgreementWithoutApp());

        // In sequence: the second answer is the first one, replayed.
        var first = await t.SendAsync(Post("order-1", 1, 100));
        var again = await t.SendAsync(Post("order-1", 1, 100));
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        var answer = await first.ReadJsonAsync();
        Assert.Equal(answer.GetProperty("request_id").GetString(), (await again.ReadJsonAsync()).GetProperty("request_id").GetString());
        Assert.Equal(100, answer.GetProperty("accepted").GetInt64());
        Assert.Equal(100, await RowsCountedAsync(t));

        // The same key with another body: 422, and none of it stored.
        var other = await t.SendAsync(Post("order-1", 2, 5));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        Assert.EndsWith("idempotency-key-reused", (await other.ReadJsonAsync()).GetProperty("type").GetString());
        Assert.Empty((await t.GetFromJsonAsync<JsonElement>("/tenants/idem/datasets/live/rows?sensor_id=2")).GetProperty("rows").EnumerateArray());

        // Eight at once with one key: one of them runs; each of the others gets its answer or 409 (then, retried, its answer).
        var parallel = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => t.SendAsync(Post("order-2", 3, 1000))));
        Assert.All(parallel, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Accepted, HttpStatusCode.Conflict }));
        Assert.Single(parallel, r => r.StatusCode == HttpStatusCode.Accepted && !r.Headers.Contains("Idempotent-Replayed"));
        foreach (var busy in parallel.Where(r => r.StatusCode == HttpStatusCode.Conflict))
        {
            Assert.Equal(TimeSpan.FromSeconds(1), busy.Headers.RetryAfter?.Delta);
        }

        var settled = await t.SendAsync(Post("order-2", 3, 1000));
        Assert.Equal(HttpStatusCode.Accepted, settled.StatusCode);
        var ran = parallel.Single(r => r.StatusCode == HttpStatusCode.Accepted && !r.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal((await ran.ReadJsonAsync()).GetProperty("request_id").GetString(), (await settled.ReadJsonAsync()).GetProperty("request_id").GetString());
        Assert.Equal(1100, await RowsCountedAsync(t));

        // Kept in coredms: a restart changes nothing.
        await host.RestartAsync();
        using var same = host.WithToken(await host.TokenAsync("idem", await SecretAsync(host, "idem")));
        var replayed = await same.SendAsync(Post("order-1", 1, 100));
        Assert.Equal("true", replayed.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(answer.GetProperty("request_id").GetString(), (await replayed.ReadJsonAsync()).GetProperty("request_id").GetString());
        Assert.Equal(1100, await RowsCountedAsync(same));
    }

    [Fact]
    public async Task ARefusedRequestLeavesItsKeyFreeAndABadKeyIsNamed()
    {
        await using var host = await PlatformHost.StartAsync();
        using var t = await host.TenantAsync("idem");
        await t.RegisterAsync("idem", Flows.StreamDatasetA("live"), Flows.AgreementWithoutApp());

        // No events in the body: 400, nothing taken, so the corrected request with the same key runs.
        var empty = new HttpRequestMessage(HttpMethod.Post, Events) { Content = new StringContent("\n", Encoding.UTF8, "application/x-ndjson") };
        empty.Headers.Add("Idempotency-Key", "k-1");
        Assert.Equal(HttpStatusCode.BadRequest, (await t.SendAsync(empty)).StatusCode);
        var corrected = await t.SendAsync(Post("k-1", 1, 3));
        Assert.Equal(HttpStatusCode.Accepted, corrected.StatusCode);
        Assert.False(corrected.Headers.Contains("Idempotent-Replayed"));

        var tooLong = await t.SendAsync(Post(new string('k', 256), 1, 3));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Equal("Idempotency-Key", (await tooLong.ReadJsonAsync()).GetProperty("errors")[0].GetProperty("field").GetString());

        // Another tenant's key of the same name is its own.
        using var other = await host.TenantAsync("idem_other");
        await other.RegisterAsync("idem_other", Flows.StreamDatasetA("live"), Flows.AgreementWithoutApp());
        var request = Post("k-1", 1, 3);
        request.RequestUri = new Uri("/tenants/idem_other/datasets/live/events", UriKind.Relative);
        var theirs = await other.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, theirs.StatusCode);
        Assert.False(theirs.Headers.Contains("Idempotent-Replayed"));

        // The header is in the API's description.
        using var anonymous = host.Anonymous();
        var operation = (await anonymous.GetFromJsonAsync<JsonElement>("/openapi/v1.json")).GetProperty("paths").GetProperty("/tenants/{tenant}/datasets/{name}/events").GetProperty("post");
        Assert.Contains(operation.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "Idempotency-Key" && p.GetProperty("in").GetString() == "header");
    }

    private static async Task<string> SecretAsync(PlatformHost host, string tenant)
    {
        using var admin = await host.AdminAsync();
        return (await (await admin.PostAsync($"/tenants/{tenant}/secret", null)).ReadJsonAsync()).GetProperty("client_secret").GetString()!;
    }
}
