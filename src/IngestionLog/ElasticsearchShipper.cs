using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IngestionLog;

/// <summary>
/// Ships the Elasticsearch buffer to <c>{Url}/_bulk</c>: batches of up to <c>BatchSize</c> documents, every
/// <c>FlushMilliseconds</c> or as soon as a batch is full, as NDJSON (<c>{"create":{"_index":...}}</c> then the
/// document, each line newline-terminated). Per-item results are read: items refused as malformed (4xx other
/// than 429) are dropped and counted; items refused with 429 or 5xx are sent again. When Elasticsearch cannot
/// be reached the batch goes back to the buffer and the shipper backs off (0.5 s doubling to 30 s); the buffer
/// is bounded, so then the oldest documents are dropped and counted, and ingestion never waits for it.
/// </summary>
public sealed class ElasticsearchShipper(LogBuffers buffers, IOptions<LogsOptions> options, ILogger<ElasticsearchShipper> logger) : BackgroundService
{
    private readonly ElasticsearchOptions _options = options.Value.Elasticsearch;
    private long _shipped;
    private long _rejected;
    private long _reportedDrops;
    private DateTimeOffset _reportedAt = DateTimeOffset.MinValue;

    /// <summary>Documents Elasticsearch accepted.</summary>
    public long Shipped => Interlocked.Read(ref _shipped);

    /// <summary>Documents Elasticsearch refused for good (mapping errors and the like).</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Documents dropped because the buffer was full.</summary>
    public long Dropped => buffers.Elasticsearch?.Dropped ?? 0;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (buffers.Elasticsearch is not { } buffer)
        {
            return;
        }

        using var http = new HttpClient { BaseAddress = new Uri(_options.Url.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
        if (_options.Username.Length > 0)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes(_options.Username + ":" + _options.Password)));
        }

        var backoff = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            var batch = await buffer.TakeAsync(_options.BatchSize, TimeSpan.FromMilliseconds(_options.FlushMilliseconds), stoppingToken);
            ReportDrops(buffer);
            if (batch.Count == 0)
            {
                continue;
            }

            var retry = await ShipAsync(http, batch, stoppingToken);
            if (retry.Count == 0)
            {
                backoff = TimeSpan.Zero;
                continue;
            }

            buffer.Return(retry);
            backoff = backoff == TimeSpan.Zero ? TimeSpan.FromMilliseconds(500) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            try
            {
                await Task.Delay(backoff, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Posts one batch; returns the documents to send again.</summary>
    private async Task<IReadOnlyList<EcsDocument>> ShipAsync(HttpClient http, List<EcsDocument> batch, CancellationToken ct)
    {
        var body = new MemoryStream();
        var action = Encoding.UTF8.GetBytes($"{{\"create\":{{\"_index\":{JsonSerializer.Serialize(_options.DataStream)}}}}}\n");
        foreach (var document in batch)
        {
            body.Write(action);
            body.Write(document.Json);
            body.WriteByte((byte)'\n');
        }

        try
        {
            using var content = new ByteArrayContent(body.GetBuffer(), 0, (int)body.Length);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
            using var response = await http.PostAsync("_bulk", content, ct);
            if (!response.IsSuccessStatusCode)
            {
                logger.LogWarning("Elasticsearch refused a bulk request of {Documents} log documents: {Status}; they are sent again", batch.Count, (int)response.StatusCode);
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
                    logger.LogWarning("Elasticsearch rejected a log document ({Status}): {Reason}", status,
                        item.TryGetProperty("error", out var error) ? error.ToString() : "no reason given");
                }
            }

            return retry;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException && !ct.IsCancellationRequested)
        {
            logger.LogWarning("Elasticsearch at {Url} cannot be reached ({Reason}); {Documents} log documents wait", _options.Url, e.Message, batch.Count);
            return batch;
        }
    }

    /// <summary>Warns about dropped documents at most once a minute (the warning itself is a document that may be dropped).</summary>
    private void ReportDrops(LogBuffer buffer)
    {
        var dropped = buffer.Dropped;
        if (dropped > Interlocked.Read(ref _reportedDrops) && DateTimeOffset.UtcNow - _reportedAt >= TimeSpan.FromMinutes(1))
        {
            _reportedAt = DateTimeOffset.UtcNow;
            logger.LogWarning("{Dropped} log documents were dropped in all because Elasticsearch did not take them fast enough", dropped);
            Interlocked.Exchange(ref _reportedDrops, dropped);
        }
    }
}
