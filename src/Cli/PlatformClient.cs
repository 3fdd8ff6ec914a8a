using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Mysimbdp.Cli;

/// <summary>A failure the CLI reports in one message and turns into its exit code.</summary>
public sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// The platform's REST API with a profile's credentials: a bearer token that is renewed before it expires and
/// once more when the platform answers 401; problem+json answers become a <see cref="CliException"/> that
/// names each field and rule.
/// </summary>
public sealed class PlatformClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly ProfileStore _store;
    private readonly string _profileName;
    private readonly Profile _profile;

    public PlatformClient(ProfileStore store, string profileName, Profile profile, HttpMessageHandler? handler = null)
    {
        _store = store;
        _profileName = profileName;
        _profile = profile;
        _http = new HttpClient(handler ?? new SocketsHttpHandler(), disposeHandler: handler is null)
        {
            BaseAddress = new Uri(profile.Url.TrimEnd('/') + "/"),
            // Uploads of large files and long waits are the caller's to bound (Ctrl-C, --timeout).
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public Profile Profile => _profile;

    /// <summary>Exchanges the profile's client id and secret for a token and saves it in the profile.</summary>
    public async Task LoginAsync(CancellationToken ct)
    {
        using var response = await _http.PostAsJsonAsync("auth/token", new Dictionary<string, string>
        {
            ["client_id"] = _profile.ClientId,
            ["client_secret"] = _profile.ClientSecret,
        }, ct);
        var body = await ReadAsync(response, ct);
        _profile.AccessToken = body.GetProperty("access_token").GetString();
        _profile.ExpiresAt = DateTimeOffset.UtcNow.AddSeconds(body.GetProperty("expires_in").GetInt32());
        _store.Save(_profileName, _profile);
    }

    public Task<JsonElement> GetAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Get, path, null, ct);

    public Task<JsonElement> PutJsonAsync(string path, string json, CancellationToken ct) =>
        SendAsync(HttpMethod.Put, path, () => new StringContent(json, Encoding.UTF8, "application/json"), ct);

    public Task<JsonElement> PostAsync(string path, Func<HttpContent>? content, CancellationToken ct) => SendAsync(HttpMethod.Post, path, content, ct);

    /// <summary>Sends with a token that has a minute left at least; a 401 gets one new token and one more try.</summary>
    private async Task<JsonElement> SendAsync(HttpMethod method, string path, Func<HttpContent>? content, CancellationToken ct)
    {
        if (_profile.AccessToken is null || _profile.ExpiresAt is null || _profile.ExpiresAt < DateTimeOffset.UtcNow.AddMinutes(1))
        {
            await LoginAsync(ct);
        }

        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, path.TrimStart('/')) { Content = content?.Invoke() };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _profile.AccessToken);
            using var response = await SendOrExplainAsync(request, ct);
            if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0)
            {
                await LoginAsync(ct);
                continue;
            }

            return await ReadAsync(response, ct);
        }
    }

    private async Task<HttpResponseMessage> SendOrExplainAsync(HttpRequestMessage request, CancellationToken ct)
    {
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        }
        catch (HttpRequestException e)
        {
            throw new CliException(ExitCodes.Refused, $"cannot reach the platform at {_http.BaseAddress}: {e.Message}");
        }
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        if (response.IsSuccessStatusCode)
        {
            return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement;
        }

        throw new CliException(ExitCodes.Refused, Explain(response, text));
    }

    /// <summary>"409 Conflict: title — detail", then one line per field error.</summary>
    private static string Explain(HttpResponseMessage response, string text)
    {
        var message = new StringBuilder($"{(int)response.StatusCode} {response.ReasonPhrase}");
        try
        {
            var problem = JsonDocument.Parse(text).RootElement;
            if (problem.TryGetProperty("title", out var title))
            {
                message.Append(": ").Append(title.GetString());
            }

            // A validation problem's detail repeats its errors, which follow one per line.
            var hasErrors = problem.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array;
            if (!hasErrors && problem.TryGetProperty("detail", out var detail) && detail.GetString() is { Length: > 0 } d)
            {
                message.Append(" — ").Append(d);
            }

            if (hasErrors)
            {
                foreach (var error in errors.EnumerateArray())
                {
                    message.Append($"\n  {Text(error, "field")}: {Text(error, "message")} ({Text(error, "rule")})");
                }
            }
        }
        catch (JsonException)
        {
            message.Append(": ").Append(text.Length > 500 ? text[..500] : text);
        }

        if (response.Headers.RetryAfter?.Delta is { } delay)
        {
            message.Append($"\n  retry after {delay.TotalSeconds:0} s");
        }

        return message.ToString();
    }

    /// <summary>A property as text: strings as they are, null as nothing, an array of scalars joined by commas, anything else as JSON.</summary>
    /// <summary>The value at <paramref name="path"/> (a property, or properties of nested objects joined by '.') as text; "" when absent.</summary>
    public static string Text(JsonElement element, string path)
    {
        foreach (var property in path.Split('.'))
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(property, out element))
            {
                return "";
            }
        }

        return Text(element);
    }

    private static string Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() ?? "",
        JsonValueKind.Null or JsonValueKind.Undefined => "",
        JsonValueKind.Array when value.EnumerateArray().All(v => v.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array)) =>
            string.Join(", ", value.EnumerateArray().Select(Text)),
        _ => value.GetRawText(),
    };

    public void Dispose() => _http.Dispose();
}

/// <summary>What the exit code tells a script.</summary>
public static class ExitCodes
{
    public const int Succeeded = 0;

    /// <summary>The command line was wrong (System.CommandLine's own code for a parse error).</summary>
    public const int Usage = 1;

    /// <summary>The platform refused the request or could not be reached.</summary>
    public const int Refused = 2;

    /// <summary>A load finished with some rows quarantined (partially_succeeded).</summary>
    public const int Partial = 3;

    /// <summary>A load failed: no row of some file loaded, or the run failed.</summary>
    public const int Failed = 4;
}
