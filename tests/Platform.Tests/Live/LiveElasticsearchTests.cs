using System.Text.Json;
using Platform.Tests.Batch;

namespace Platform.Tests.Live;

/// <summary>The platform's ingestion events in a real Elasticsearch (<c>MYSIMBDP_ELASTICSEARCH</c>, http://host:9200), in a data stream of the run's own.</summary>
public sealed class LiveElasticsearchTests
{
    private const string Variable = "MYSIMBDP_ELASTICSEARCH";

    [LiveFact(Variable)]
    public async Task AnIngestionsEventsCanBeSearchedByTenantAndFile()
    {
        var url = LiveFactAttribute.Value(Variable).TrimEnd('/');
        var stream = "logs-mysimbdp-live" + Guid.NewGuid().ToString("N")[..8];
        await using var host = await PlatformHost.StartAsync(new Dictionary<string, string?>
        {
            ["Logs:Elasticsearch:Url"] = url,
            ["Logs:Elasticsearch:DataStream"] = stream,
            ["Logs:Elasticsearch:FlushMilliseconds"] = "200",
        });
        using var t = await host.TenantAsync("live_es");
        await t.RegisterAsync("live_es", Flows.DatasetA(), Flows.AgreementWithoutApp());
        var fileId = await t.UploadAsync("live_es", "speed_tracking", "messy.csv", MessyFile.Build());
        await t.IngestAndWaitAsync("live_es", "speed_tracking");

        using var es = new HttpClient();
        var source = await Eventually.UntilAsync(async () =>
            {
                var response = await es.GetAsync($"{url}/{stream}/_search?q=file.id:{fileId}%20AND%20event.action:rows.loaded");
                return response.IsSuccessStatusCode
                    ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("hits").GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("_source").Clone()).ToList()
                    : [];
            },
            hits => hits.Count == 1, _ => "the rows.loaded event never became searchable");
        Assert.Equal(MessyFile.AsIs.Loaded, source[0].GetProperty("mysimbdp.rows_loaded").GetInt64());
        Assert.Equal("live_es", source[0].GetProperty("tenant.id").GetString());

        await es.DeleteAsync($"{url}/_data_stream/{stream}");
    }
}
