using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.Tests;

/// <summary>
/// The platform as a separate process (dotnet Platform.Api.dll from the test's folder), for tests that kill
/// it, measure it, or restart it like an operator would. It listens on a free loopback port it reports.
/// </summary>
public sealed class ChildHost : IAsyncDisposable
{
    private readonly Process _process;

    private ChildHost(Process process, Uri address, string home)
    {
        _process = process;
        BaseAddress = address;
        Home = home;
    }

    public Uri BaseAddress { get; }

    public string Home { get; }

    /// <param name="home">The platform's home.</param>
    /// <param name="environment">Settings, as environment variables.</param>
    /// <param name="output">Given each line the process writes.</param>
    public static async Task<ChildHost> StartAsync(string home, IDictionary<string, string>? environment = null, Action<string>? output = null)
    {
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = StartService("Platform.Api.dll", home, new Dictionary<string, string>(environment ?? new Dictionary<string, string>())
        {
            ["MYSIMBDP_ADMIN_SECRET"] = PlatformHost.AdminSecret,
        }, line =>
        {
            output?.Invoke(line);
            const string marker = "Now listening on: ";
            if (line.IndexOf(marker, StringComparison.Ordinal) is >= 0 and var at)
            {
                listening.TrySetResult(new Uri(line[(at + marker.Length)..].Trim()));
            }
        }, "--urls", "http://127.0.0.1:0");
        var started = await Task.WhenAny(listening.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
        if (started != listening.Task)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("The platform process did not start listening.");
        }

        return new ChildHost(process, await listening.Task, home);
    }

    /// <summary>
    /// Starts one of the platform's programs (its dll in the test's folder) on <paramref name="home"/> with
    /// <paramref name="environment"/>; each line it writes goes to <paramref name="output"/>.
    /// </summary>
    public static Process StartService(string dll, string home, IDictionary<string, string> environment, Action<string>? output = null, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, dll), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.Environment["MYSIMBDP_HOME"] = home;
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { output?.Invoke(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { output?.Invoke(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public async Task<HttpClient> AdminAsync()
    {
        var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
        var token = await http.PostAsJsonAsync("/auth/token", new { client_id = "admin", client_secret = PlatformHost.AdminSecret });
        var json = JsonDocument.Parse(await token.Content.ReadAsStringAsync()).RootElement;
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", json.GetProperty("access_token").GetString());
        return http;
    }

    /// <summary>Kills the process at once (SIGKILL), as a crash would.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
