using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using IngestionLog;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Tests.Batch;
using Serilog.Events;
using Serilog.Parsing;

namespace Platform.Tests.Logs;

/// <summary>
/// The Elasticsearch log sink and its pump against a stand-in Elasticsearch on loopback (real HTTP): the request
/// format, batching, per-item errors, an outage with a bounded buffer, and recovery.
/// </summary>
public sealed class ElasticsearchSinkTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<(string ContentType, string Body)> _requests = new();
    private WebApplication _elastic = null!;

    private readonly ConcurrentQueue<string> _accepted = new();

    /// <summary>What the stand-in answers a whole request with: 0 for 200 (with per-item results), or a status code.</summary>
    private volatile int _failWith;

    /// <summary>Per-document statuses the stand-in gives (by the document's message), 201 otherwise; each is used once.</summary>
    private readonly ConcurrentDictionary<string, int> _itemStatus = new();

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _elastic = builder.Build();
        _elastic.MapPost("/_bulk", async (HttpContext http) =>
        {
            var body = await new StreamReader(http.Request.Body).ReadToEndAsync();
            _requests.Enqueue((http.Request.ContentType ?? "", body));
            if (_failWith != 0)
            {
                return Results.StatusCode(_failWith);
            }

            var lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var items = new List<object>();
            var failed = false;
            for (var i = 1; i < lines.Length; i += 2)
            {
                var message = JsonDocument.Parse(lines[i]).RootElement.GetProperty("message").GetString()!;
                var code = _itemStatus.TryRemove(message, out var s) ? s : 201;
                if (code == 201)
                {
                    _accepted.Enqueue(message);
                }
                else
                {
                    failed = true;
                }

                items.Add(new { create = new { status = code, error = code >= 300 ? new { type = code == 400 ? "mapper_parsing_exception" : "es_rejected_execution_exception" } : null } });
            }

            return Results.Json(new { took = 1, errors = failed, items });
        });
        await _elastic.StartAsync();
    }

    public async Task DisposeAsync()
    {
        _sinks.ForEach(s => s.Dispose());
        await _elastic.DisposeAsync();
    }

    private string Url => _elastic.Urls.First();

    private static EcsDocument Document(string message, string tenant = "es_tenant") => EcsDocument.From(new LogEvent(DateTimeOffset.UtcNow, LogEventLevel.Information, null,
        new MessageTemplateParser().Parse(message), [new LogEventProperty("TenantId", new ScalarValue(tenant)), new LogEventProperty("EventAction", new ScalarValue("rows.loaded"))]), "test");

    private (LogRouter Router, ElasticsearchSink Sink, LogSinkPump<ElasticsearchSink> Pump) Shipper(int capacity = 1000, int batch = 10, string? url = null)
    {
        var options = new LogsOptions { QueueCapacity = capacity, Elasticsearch = new ElasticsearchOptions { Url = url ?? Url, BatchSize = batch, FlushMilliseconds = 50 } };
        var router = new LogRouter(capacity);
        var sink = new ElasticsearchSink(Microsoft.Extensions.Options.Options.Create(options), NullLogger<ElasticsearchSink>.Instance);
        _sinks.Add(sink);
        return (router, sink, new LogSinkPump<ElasticsearchSink>(sink, router, NullLogger<LogSinkPump<ElasticsearchSink>>.Instance));
    }

    private readonly List<ElasticsearchSink> _sinks = [];

    private List<string> Delivered() => _requests.SelectMany(r => r.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where((_, i) => i % 2 == 1))
        .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("message").GetString()!).ToList();

    [Fact]
    public async Task DocumentsGoInBatchesAsCreateActionsInNewlineTerminatedNdjson()
    {
        var (router, sink, pump) = Shipper(batch: 10);
        for (var i = 0; i < 25; i++)
        {
            router.Offer(Document($"event {i}"));
        }

        await pump.StartAsync(CancellationToken.None);
        await Eventually.UntilAsync(() => sink.Shipped == 25, $"shipped {sink.Shipped}");
        await pump.StopAsync(CancellationToken.None);

        Assert.All(_requests, r => Assert.Equal("application/x-ndjson", r.ContentType));
        Assert.All(_requests, r => Assert.EndsWith("\n", r.Body, StringComparison.Ordinal));
        Assert.Equal([10, 10, 5], _requests.Select(r => r.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length / 2));
        var lines = _requests.First().Body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("""{"create":{"_index":"logs-mysimbdp-default"}}""", lines[0]);
        var document = JsonDocument.Parse(lines[1]).RootElement;
        Assert.Equal("es_tenant", document.GetProperty("tenant.id").GetString());
        Assert.Equal("rows.loaded", document.GetProperty("event.action").GetString());
        Assert.Equal("info", document.GetProperty("log.level").GetString());
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"event {i}"), _accepted);
    }

    [Fact]
    public async Task ItemsRefusedForGoodAreDroppedAndCountedAndItemsRefusedForNowAreSentAgain()
    {
        _itemStatus["bad mapping"] = 400;
        _itemStatus["busy"] = 429;
        var (router, sink, pump) = Shipper(batch: 10);
        foreach (var message in new[] { "first", "bad mapping", "busy", "last" })
        {
            router.Offer(Document(message));
        }

        await pump.StartAsync(CancellationToken.None);
        await Eventually.UntilAsync(() => sink.Shipped == 3, $"shipped {sink.Shipped}");
        await pump.StopAsync(CancellationToken.None);

        Assert.Equal(1, sink.Rejected);
        Assert.Equal(["first", "bad mapping", "busy", "last", "busy"], Delivered());
    }

    [Fact]
    public async Task WhileElasticsearchIsDownTheOldestAreDroppedAndCountedAndDeliveryResumesAfter()
    {
        _failWith = 503;
        var (router, sink, pump) = Shipper(capacity: 100, batch: 50);
        await pump.StartAsync(CancellationToken.None);
        for (var i = 0; i < 1000; i++)
        {
            router.Offer(Document($"event {i}"));
        }

        await Eventually.UntilAsync(() => _requests.Count >= 2, "the pump did not try");
        Assert.Equal(900, pump.Dropped);
        Assert.Equal(0, sink.Shipped);

        _failWith = 0;
        await Eventually.UntilAsync(() => sink.Shipped == 100, $"shipped {sink.Shipped} after recovery");
        await pump.StopAsync(CancellationToken.None);
        Assert.Equal(Enumerable.Range(900, 100).Select(i => $"event {i}"), _accepted);
    }

    [Fact]
    public async Task OfferingNeverWaitsForAnUnreachableElasticsearch()
    {
        var (router, sink, pump) = Shipper(capacity: 100, batch: 50, url: "http://127.0.0.1:9");
        await pump.StartAsync(CancellationToken.None);
        var documents = Enumerable.Range(0, 100_000).Select(i => Document($"e{i}")).ToList();
        foreach (var document in documents)
        {
            router.Offer(document);
        }

        Assert.True(pump.Dropped >= 99_800, $"dropped {pump.Dropped}");
        Assert.Equal(0, sink.Shipped);
        await pump.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task ThePlatformShipsItsIngestionEventsWhenConfigured()
    {
        await using var host = await PlatformHost.StartAsync(new Dictionary<string, string?> { ["Logs:Elasticsearch:Url"] = Url, ["Logs:Elasticsearch:FlushMilliseconds"] = "100" });
        using var t = await host.TenantAsync("es_platform");
        await t.RegisterAsync("es_platform", Flows.DatasetA(), Flows.AgreementWithoutApp());
        var fileId = await t.UploadAsync("es_platform", "speed_tracking", "messy.csv", MessyFile.Build());
        await t.IngestAndWaitAsync("es_platform", "speed_tracking");

        await Eventually.UntilAsync(() => _requests.Any(r => r.Body.Contains("\"event.action\":\"rows.loaded\"", StringComparison.Ordinal)), "rows.loaded never reached Elasticsearch");
        var loaded = _requests.SelectMany(r => r.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            .Where(l => l.Contains("\"event.action\":\"rows.loaded\"", StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l).RootElement).Single();
        Assert.Equal(fileId, loaded.GetProperty("file.id").GetString());
        Assert.Equal(MessyFile.AsIs.Loaded, loaded.GetProperty("mysimbdp.rows_loaded").GetInt64());
        Assert.Equal("platform-api", loaded.GetProperty("service.name").GetString());
    }
}
