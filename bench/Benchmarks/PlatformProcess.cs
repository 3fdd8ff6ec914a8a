using System.Diagnostics;
using System.Text.Json;

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

    public static async Task<PlatformProcess> StartAsync(string home)
    {
        var start = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "Platform.Api.dll"), "--urls", "http://127.0.0.1:0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["MYSIMBDP_HOME"] = home;
        start.Environment["MYSIMBDP_ADMIN_SECRET"] = BenchApi.AdminSecret;
        start.Environment["Serilog__MinimumLevel__Default"] = "Warning";
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

    /// <summary>Peak resident memory of the platform process so far (VmHWM).</summary>
    public long PeakResidentBytes()
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
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
