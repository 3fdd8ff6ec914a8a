using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IngestionLog;

/// <summary>
/// The Elasticsearch log sink: batches of up to <c>BatchSize</c> documents to <c>{Url}/_bulk</c>, every
/// <c>FlushMilliseconds</c> or as soon as a batch is full, as NDJSON (<c>{"create":{"_index":...}}</c> then the
/// document, each line newline-terminated). Per-item results are read: items refused as malformed (4xx other
/// than 429) are dropped and counted; items refused with 429 or 5xx, and whole batches Elasticsearch could not
/// take, are given back to the pump to send again.
/// </summary>
public sealed class ElasticsearchSink : ILogSink, IDisposable
{
    private readonly ElasticsearchOptions _options;
    private readonly ILogger<ElasticsearchSink> _logger;
    private readonly HttpClient _http;
    private readonly byte[] _action;
    private long _shipped;
    private long _rejected;

    public ElasticsearchSink(IOptions<LogsOptions> options, ILogger<ElasticsearchSink> logger)
    {
        _options = options.Value.Elasticsearch;
        _logger = logger;
        _http = new HttpClient { BaseAddress = new Uri(_options.Url.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
        if (_options.Username.Length > 0)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes(_options.Username + ":" + _options.Password)));
        }

        _action = Encoding.UTF8.GetBytes($"{{\"create\":{{\"_index\":{JsonSerializer.Serialize(_options.DataStream)}}}}}\n");
    }

    public string Name => "Elasticsearch";

    public int BatchSize => _options.BatchSize;

    public TimeSpan FlushInterval => TimeSpan.FromMilliseconds(_options.FlushMilliseconds);

    /// <summary>Documents Elasticsearch accepted.</summary>
    public long Shipped => Interlocked.Read(ref _shipped);

    /// <summary>Documents Elasticsearch refused for good (mapping errors and the like).</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    public bool Accepts(EcsDocument document) => true;

    public async Task<IReadOnlyList<EcsDocument>> WriteAsync(IReadOnlyList<EcsDocument> batch, CancellationToken ct)
    {
        var body = new MemoryStream();
        foreach (var document in batch)
        {
            body.Write(_action);
            body.Write(document.Json);
            body.WriteByte((byte)'\n');
        }

        try
        {
            using var content = new ByteArrayContent(body.GetBuffer(), 0, (int)body.Length);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
            using var response = await _http.PostAsync("_bulk", content, ct);
            if (!response.IsSuccessStatusCode)
            {
                _logger.LogWarning("Elasticsearch refused a bulk request of {Documents} log documents: {Status}; they are sent again", batch.Count, (int)response.StatusCode);
                return batch;
            }

            using var result = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(ct));
            if (!result.RootElement.TryGetProperty("errors", out var errors) || !errors.GetBoolean())
            {
                Interlocked.Add(ref _shipped, batch.Count);
                return [];
            }

            var retry = new List<EcsDocument>();
            var items = result.RootElement.GetProperty("items");
            for (var i = 0; i < batch.Count && i < items.GetArrayLength(); i++)
            {
                var item = items[i].EnumerateObject().First().Value;
                var status = item.GetProperty("status").GetInt32();
                if (status is >= 200 and < 300)
                {
                    Interlocked.Increment(ref _shipped);
                }
                else if (status == 429 || status >= 500)
                {
                    retry.Add(batch[i]);
                }
                else
                {
                    Interlocked.Increment(ref _rejected);
                    _logger.LogWarning("Elasticsearch rejected a log document ({Status}): {Reason}", status,
                        item.TryGetProperty("error", out var error) ? error.ToString() : "no reason given");
                }
            }

            return retry;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException && !ct.IsCancellationRequested)
        {
            _logger.LogWarning("Elasticsearch at {Url} cannot be reached ({Reason}); {Documents} log documents wait", _options.Url, e.Message, batch.Count);
            return batch;
        }
    }

    public void Dispose() => _http.Dispose();
}
