using System.Text.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Mysimbdp.Tests.Oracles;
using Platform.Tests.Admin;

namespace Platform.Tests.Api;

/// <summary>The OpenAPI document as a client generator would fetch it: it is served, and it lists every route the platform maps.</summary>
public sealed class OpenApiTests
{
    private static readonly NodeFixture Validator = new("openapi", "@apidevtools/swagger-parser");

    [Fact]
    public async Task TheDocumentIsServedAndDescribesEveryMappedRoute()
    {
        await using var host = await PlatformHost.StartAsync();
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        var response = await http.GetAsync("/openapi/v1.json");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        using var document = JsonDocument.Parse(body);
        Assert.StartsWith("3.", document.RootElement.GetProperty("openapi").GetString());
        var paths = document.RootElement.GetProperty("paths");

        // What the app maps, from its own routing table, except what is deliberately left out of the description.
        var mapped = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .Where(e => e.RoutePattern.RawText is { } raw && !raw.StartsWith("/openapi/", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (Path: "/" + e.RoutePattern.RawText!.Trim('/'), Method: m.ToLowerInvariant())))
            .ToList();
        Assert.NotEmpty(mapped);
        var missing = mapped.Where(r => !paths.TryGetProperty(r.Path, out var item) || !item.TryGetProperty(r.Method, out _)).ToList();
        Assert.True(missing.Count == 0, "not in the document: " + string.Join(", ", missing.Select(r => $"{r.Method.ToUpperInvariant()} {r.Path}")));

        // Valid OpenAPI by a validator nobody here wrote (npm @apidevtools/swagger-parser: the schema and every $ref).
        var validated = JsonDocument.Parse(Validator.Node("validate.js", [], body)).RootElement;
        Assert.Equal(paths.EnumerateObject().Sum(p => p.Value.EnumerateObject().Count()), validated.GetProperty("operations").GetInt32());

        // Every path parameter declared; every problem in the one problem+json shape.
        foreach (var path in paths.EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                var parameters = operation.Value.TryGetProperty("parameters", out var list) ? list.EnumerateArray().ToList() : [];
                var declared = parameters.Where(p => p.GetProperty("in").GetString() == "path").Select(p => "{" + p.GetProperty("name").GetString() + "}");
                Assert.All(path.Name.Split('/').Where(s => s.StartsWith('{')), segment => Assert.Contains(segment, declared));
                foreach (var problem in operation.Value.GetProperty("responses").EnumerateObject().Where(r => r.Name[0] is '4' or '5'))
                {
                    Assert.Equal("#/components/schemas/Problem", problem.Value.GetProperty("content").GetProperty("application/problem+json").GetProperty("schema").GetProperty("$ref").GetString());
                }
            }
        }

        var upload = paths.GetProperty("/tenants/{tenant}/datasets/{name}/files").GetProperty("post");
        Assert.True(upload.GetProperty("requestBody").GetProperty("content").TryGetProperty("multipart/form-data", out _));
        Assert.All(new[] { "400", "401", "403", "404", "413", "415", "429" }, code => Assert.True(upload.GetProperty("responses").TryGetProperty(code, out _), code));

        // Bearer tokens everywhere but on the anonymous routes.
        Assert.Equal("bearer", document.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").GetProperty("scheme").GetString());
        Assert.Equal(0, paths.GetProperty("/auth/token").GetProperty("post").GetProperty("security").GetArrayLength());
        Assert.False(paths.GetProperty("/tenants/{tenant}/datasets").GetProperty("get").TryGetProperty("security", out _));
    }

    /// <summary>
    /// The headers the events endpoint really sends (the RateLimit fields of events_per_second, Retry-After on a
    /// 429) are the ones its description lists for that status.
    /// </summary>
    [Fact]
    public async Task TheHeadersTheEventsEndpointSendsAreDescribed()
    {
        await using var host = await PlatformHost.StartAsync();
        using var t = await host.TenantAsync("limited");
        await t.RegisterAsync("limited", Flows.StreamDatasetA("live"), Flows.AgreementWithoutApp().With("quotas", new System.Text.Json.Nodes.JsonObject { ["events_per_second"] = 50 }));
        static StringContent Events(int count) => new(string.Join('\n', Enumerable.Range(1, count).Select(i =>
            $$"""{"sensor_id": 1, "reading_id": {{i}}, "date": "2026-03-01", "time": "08:00:00", "speed_kmh": 50, "vehicle_class": "car"}""")), System.Text.Encoding.UTF8, "application/x-ndjson");
        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 2; i++)
        {
            answers.Add(await t.PostAsync("/tenants/limited/datasets/live/events", Events(40)));
        }

        Assert.Equal([System.Net.HttpStatusCode.Accepted, System.Net.HttpStatusCode.TooManyRequests], answers.Select(a => a.StatusCode));
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        using var document = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json"));
        var responses = document.RootElement.GetProperty("paths").GetProperty("/tenants/{tenant}/datasets/{name}/events").GetProperty("post").GetProperty("responses");
        foreach (var answer in answers)
        {
            var sent = answer.Headers.Select(h => h.Key).Where(h => h.StartsWith("RateLimit-", StringComparison.Ordinal) || h == "Retry-After").ToList();
            Assert.Contains("RateLimit-Remaining", sent);
            var described = responses.GetProperty(((int)answer.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture)).GetProperty("headers").EnumerateObject().Select(h => h.Name).ToList();
            Assert.All(sent, header => Assert.Contains(header, described));
        }

        Assert.Contains("Retry-After", answers[1].Headers.Select(h => h.Key));
    }

    [Fact]
    public async Task TheReferencePageRendersTheDocumentInABrowserWithoutAToken()
    {
        await using var host = await PlatformHost.StartAsync();
        await using var browser = await HeadlessChromium.StartAsync();
        await browser.NavigateAsync(new Uri(host.BaseAddress, "/docs"));
        await browser.WaitForAsync("document.body && document.body.textContent.includes('Get a token from POST /auth/token')", "the API's description, read from the OpenAPI document");
    }
}
