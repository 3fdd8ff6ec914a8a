using System.Text.Json;
using System.Text.RegularExpressions;
using IngestionLog;
using Serilog.Events;
using Serilog.Parsing;

namespace Platform.Tests.Logs;

/// <summary>
/// The Kibana saved objects under compose/kibana (imported by the compose stack's kibana-setup): well-formed,
/// every reference resolves inside the file, and every field they chart or show is one the platform's log
/// documents carry. (Kibana itself cannot run here; its import is exercised by the compose stack.)
/// </summary>
public sealed partial class KibanaObjectsTests
{
    private static readonly List<JsonElement> Objects = File.ReadAllLines(Repo.Path("compose", "kibana", "mysimbdp.ndjson"))
        .Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    [GeneratedRegex(@"""field""\s*:\s*""([^""]+)""")]
    private static partial Regex FieldReference();

    [Fact]
    public void TheDataViewSearchesVisualizationsAndDashboardAreThereAndReferToEachOther()
    {
        var byId = Objects.ToDictionary(o => o.GetProperty("id").GetString()!);
        Assert.Equal(["dashboard", "index-pattern", "search", "visualization"], Objects.Select(o => o.GetProperty("type").GetString()).Distinct().Order());
        var view = Assert.Single(Objects, o => o.GetProperty("type").GetString() == "index-pattern").GetProperty("attributes");
        Assert.Equal("logs-mysimbdp-*", view.GetProperty("title").GetString());
        Assert.Equal("@timestamp", view.GetProperty("timeFieldName").GetString());
        Assert.Contains(Objects, o => o.GetProperty("attributes").GetProperty("title").GetString() == "Ingestion log by tenant");
        foreach (var o in Objects)
        {
            foreach (var reference in o.GetProperty("references").EnumerateArray())
            {
                var target = byId[reference.GetProperty("id").GetString()!];
                Assert.Equal(reference.GetProperty("type").GetString(), target.GetProperty("type").GetString());
            }
        }

        var dashboard = Assert.Single(Objects, o => o.GetProperty("type").GetString() == "dashboard");
        var panels = JsonDocument.Parse(dashboard.GetProperty("attributes").GetProperty("panelsJSON").GetString()!).RootElement;
        var names = dashboard.GetProperty("references").EnumerateArray().Select(r => r.GetProperty("name").GetString()).ToHashSet();
        Assert.All(panels.EnumerateArray(), p => Assert.Contains(p.GetProperty("panelRefName").GetString(), names));
        Assert.Equal(5, panels.GetArrayLength());
    }

    [Fact]
    public void EveryFieldTheyUseIsInThePlatformsLogDocuments()
    {
        var fields = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (template, values) in new (string, object?[])[]
        {
            ("{EventAction}: {TenantId}/{Dataset} file {FileId} is {FileStatus}: {RowsLoaded} of {RowsRead} rows loaded, {RowsQuarantined} quarantined, {Bytes} bytes in {EventDuration} ms",
                ["rows.loaded", "t", "d", "f", "loaded", 1L, 1L, 0L, 10L, 5L]),
            ("{EventAction}: {TenantId} run {RunId} {RunStatus} in {EventDuration} ms", ["run.finished", "t", "r", "succeeded", 3L]),
            ("{EventAction}: {TenantId}/{Dataset} file {FileId} as {FileName} failed: {ErrorMessage}", ["file.failed", "t", "d", "f", "a.csv", "bad"]),
        })
        {
            var parsed = new MessageTemplateParser().Parse(template);
            var properties = parsed.Tokens.OfType<PropertyToken>().Zip(values, (p, v) => new LogEventProperty(p.PropertyName, new ScalarValue(v)));
            var document = JsonDocument.Parse(EcsDocument.From(new LogEvent(DateTimeOffset.UtcNow, LogEventLevel.Information, null, parsed, properties), "test").Json).RootElement;
            fields.UnionWith(document.EnumerateObject().Select(p => p.Name));
        }

        foreach (var o in Objects.Where(o => o.GetProperty("type").GetString() is "search" or "visualization"))
        {
            var attributes = o.GetProperty("attributes");
            var used = attributes.TryGetProperty("columns", out var columns) ? columns.EnumerateArray().Select(c => c.GetString()!).ToList() : [];
            if (attributes.TryGetProperty("visState", out var state))
            {
                used.AddRange(FieldReference().Matches(state.GetString()!).Select(m => m.Groups[1].Value));
            }

            Assert.All(used, field => Assert.Contains(field, fields));
        }
    }
}
