using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Platform.Api.Problems;

/// <summary>
/// Reads a JSON request body with a size limit and turns every way it can be wrong into a clear 400/413,
/// instead of the framework's bare binding failure.
/// </summary>
public static class RequestJson
{
    public const int MaxBytes = 1024 * 1024;

    public static async Task<(JsonElement? Json, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.HasFormContentType && !request.ContentType!.Contains("urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Problem.UnsupportedMediaType("Send a JSON body (Content-Type: application/json)."));
        }

        if (request.ContentLength > MaxBytes)
        {
            return (null, Problem.TooLarge($"A JSON body may be at most {MaxBytes} bytes."));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
            {
                return (null, Problem.TooLarge($"A JSON body may be at most {MaxBytes} bytes."));
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            return (null, Problem.BadRequest("The request needs a JSON body."));
        }

        try
        {
            using var document = JsonDocument.Parse(buffer.ToArray(), new JsonDocumentOptions { MaxDepth = 128 });
            return (document.RootElement.Clone(), null);
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" (line {line + 1}, position {e.BytePositionInLine + 1})" : "";
            return (null, Problem.BadRequest($"The body is not valid JSON{where}."));
        }
    }

    /// <summary>Reads the body as <typeparamref name="T"/> (after <see cref="ReadAsync"/>); the shapes used here accept any object.</summary>
    public static (T? Value, ProblemHttpResult? Problem) As<T>(JsonElement json, string what)
        where T : class
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            return (null, Problem.BadRequest($"The {what} must be a JSON object."));
        }

        return (json.Deserialize<T>(), null);
    }
}
