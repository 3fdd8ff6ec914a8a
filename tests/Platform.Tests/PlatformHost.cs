using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Api;

namespace Platform.Tests;

/// <summary>
/// The real platform host on a loopback port with its own home folder; clients carry real tokens from
/// POST /auth/token. Restart keeps the home, as a process restart would.
/// </summary>
public sealed class PlatformHost : IAsyncDisposable
{
    public const string AdminSecret = "admin-secret-for-tests-0123456789abcdef";

    private readonly IDictionary<string, string?> _settings;
    private readonly TimeProvider? _clock;
    private readonly Action<IServiceCollection>? _services;
    private WebApplication? _app;

    private PlatformHost(string home, IDictionary<string, string?> settings, TimeProvider? clock, Action<IServiceCollection>? services)
    {
        Home = home;
        _settings = settings;
        _clock = clock;
        _services = services;
    }

    public string Home { get; }

    public Uri BaseAddress { get; private set; } = null!;

    public IServiceProvider Services => _app!.Services;

    /// <summary>Starts the platform in a new home folder.</summary>
    /// <param name="settings">Configuration over the test defaults.</param>
    /// <param name="clock">The platform's data clock (retention, leases, schedules).</param>
    /// <param name="services">Replaces services after the platform registered its own (a clock, a fault).</param>
    public static async Task<PlatformHost> StartAsync(IDictionary<string, string?>? settings = null, TimeProvider? clock = null, Action<IServiceCollection>? services = null)
    {
        var home = Path.Combine(Path.GetTempPath(), "mysimbdp-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(home);
        var all = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Platform:Home"] = home,
            ["Auth:AdminSecret"] = AdminSecret,
            ["Serilog:MinimumLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var host = new PlatformHost(home, all, clock, services);
        await host.StartAppAsync();
        return host;
    }

    private async Task StartAppAsync()
    {
        _app = PlatformApp.Create([], _settings, services =>
        {
            if (_clock is not null)
            {
                services.Replace(ServiceDescriptor.Singleton(new Coredms.DataClock(_clock)));
            }

            _services?.Invoke(services);
        });
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Urls.First());
    }

    /// <summary>Stops the platform and starts it again on the same home.</summary>
    /// <param name="whileStopped">Done between stop and start (a file dropped while the platform is down).</param>
    public async Task RestartAsync(Action? whileStopped = null)
    {
        await _app!.StopAsync();
        await _app.DisposeAsync();
        whileStopped?.Invoke();
        await StartAppAsync();
    }

    public HttpClient Anonymous() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };

    public async Task<string> TokenAsync(string clientId, string secret)
    {
        using var http = Anonymous();
        var response = await http.PostAsJsonAsync("/auth/token", new { client_id = clientId, client_secret = secret });
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("access_token").GetString()!;
    }

    public HttpClient WithToken(string token)
    {
        var http = Anonymous();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    public async Task<HttpClient> AdminAsync() => WithToken(await TokenAsync("admin", AdminSecret));

    /// <summary>Creates a tenant through the API and returns a client with the tenant's own token.</summary>
    public async Task<HttpClient> TenantAsync(string id)
    {
        using var admin = await AdminAsync();
        var response = await admin.PostAsJsonAsync("/tenants", new { id });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return WithToken(await TokenAsync(id, json.RootElement.GetProperty("client_secret").GetString()!));
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
