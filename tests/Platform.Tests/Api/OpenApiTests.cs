using System.Text.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Platform.Tests.Admin;

namespace Platform.Tests.Api;

/// <summary>The OpenAPI document as a client generator would fetch it: it is served, and it lists every route the platform maps.</summary>
public sealed class OpenApiTests
{
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

        // Bearer tokens everywhere but on the anonymous routes.
        Assert.Equal("bearer", document.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").GetProperty("scheme").GetString());
        Assert.Equal(0, paths.GetProperty("/auth/token").GetProperty("post").GetProperty("security").GetArrayLength());
        Assert.False(paths.GetProperty("/tenants/{tenant}/datasets").GetProperty("get").TryGetProperty("security", out _));
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
