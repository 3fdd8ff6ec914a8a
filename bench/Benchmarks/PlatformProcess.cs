using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Benchmarks;

/// <summary>The platform started as its own process on a free loopback port, with a fresh home.</summary>
internal sealed class PlatformProcess : IAsyncDisposable
{
    private readonly Process _process;

    private PlatformProcess(Process process, HttpClient http, string home)
    {
        _process = process;
        Http = http;
        Home = home;
    }

    public HttpClient Http { get; }

    public string Home { get; }

    /// <summary>Starts the platform (with <paramref name="environment"/> added) and registers the shape's tenant, dataset and agreement.</summary>
    public static async Task<PlatformProcess> StartAsync(string home, BatchShape shape, IReadOnlyDictionary<string, string>? environment = null)
    {
        var platform = await StartAsync(home, environment);
        try
        {
            await platform.PostAsync("/tenants", BenchApi.Json(new JsonObject { ["id"] = shape.Tenant }));
            await BenchApi.SendAsync(platform.Http, HttpMethod.Put, $"/tenants/{shape.Tenant}/datasets/{shape.DatasetName}", BenchApi.Json(shape.Dataset));
            await BenchApi.SendAsync(platform.Http, HttpMethod.Put, $"/tenants/{shape.Tenant}/agreement", BenchApi.Json(shape.Agreement));
            return platform;
        }
        catch
        {
            await platform.DisposeAsync();
            throw;
        }
    }

    public static async Task<PlatformProcess> StartAsync(string home, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "Platform.Api.dll"), "--urls", "http://127.0.0.1:0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["MYSIMBDP_HOME"] = home;
        start.Environment["MYSIMBDP_ADMIN_SECRET"] = BenchApi.AdminSecret;
        start.Environment["Serilog__MinimumLevel__Default"] = "Warning";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;
        var listening = new TaskCompletionSource<Uri>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.IndexOf("Now listening on: ", StringComparison.Ordinal) is >= 0 and var at)
            {
                listening.TrySetResult(new Uri(e.Data[(at + "Now listening on: ".Length)..].Trim()));
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (await Task.WhenAny(listening.Task, Task.Delay(TimeSpan.FromSeconds(60))) != listening.Task)
        {
            process.Kill(true);
            throw new InvalidOperationException("The platform did not start.");
        }

        var http = await BenchApi.AdminClientAsync(await listening.Task);
        return new PlatformProcess(process, http, home);
    }

    /// <summary>Peak resident memory of the platform process since it started or since <see cref="ResetPeakResident"/> (VmHWM).</summary>
    public long PeakResidentBytes() => Status("VmHWM:");

    /// <summary>Resident memory of the platform process now (VmRSS).</summary>
    public long ResidentBytes() => Status("VmRSS:");

    /// <summary>Starts the peak over from the current resident memory (Linux: 5 written to clear_refs).</summary>
    public void ResetPeakResident() => File.WriteAllText($"/proc/{_process.Id}/clear_refs", "5");

    private long Status(string field)
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    public Task<JsonElement> PostAsync(string path, HttpContent? content) => BenchApi.SendAsync(Http, HttpMethod.Post, path, content);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
