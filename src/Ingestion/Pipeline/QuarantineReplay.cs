using System.Text;
using System.Text.Json.Nodes;
using Catalog.Datasets;
using Catalog.Files;
using Coredms;

namespace Ingestion.Pipeline;

/// <summary>What a replay did to one source's quarantined rows.</summary>
public sealed record ReplayedSource(string FileId, string Format, long Replayed, long Loaded, long StillQuarantined, long NotReplayable);

/// <summary>What a replay did, in all and by source; <c>Limited</c> when more rows matched than one replay takes.</summary>
public sealed record ReplayResult(long Replayed, long Loaded, long StillQuarantined, long NotReplayable, IReadOnlyList<ReplayedSource> Sources, bool Limited);

/// <summary>
/// Quarantine replay (Snowflake's error tables, Tinybird's quarantine recovery): a dataset's quarantined rows,
/// after the cause was fixed (a corrected schema or quality rule), are read again from their raw text under the
/// dataset's current configuration. A row of a CSV/TSV file is parsed under the file's header line as it was (or,
/// for files ingested before headers were kept, the schema's field order); a row of an events request (or of an Avro
/// file, whose raw text is its JSON) as a JSON line. Rows that now pass are written and leave the quarantine; the
/// rest stay, at their file and line, with their new reason. Each row stands alone (on_error continue), so a replay
/// run twice changes nothing the second time. Records kept as bytes (<c>base64:</c>, unreadable stream records)
/// cannot be replayed and are counted as such.
/// </summary>
public sealed class QuarantineReplay(ICoredms coredms, FileIngestion ingestion, FileCatalog files)
{
    /// <summary>The most rows one replay reads (they are held in memory); narrow a larger quarantine by file or time.</summary>
    public const int MaxRows = 100_000;

    public async Task<ReplayResult> ReplayAsync(Dataset dataset, string? fileId, DateTimeOffset? since, DateTimeOffset? until, TimeSpan? ttl, CancellationToken ct)
    {
        var rows = new List<QuarantinedRow>();
        var limited = false;
        await foreach (var values in coredms.SelectAllAsync(dataset.Quarantine, fileId is null ? [dataset.Name] : [dataset.Name, fileId], ct))
        {
            var row = Quarantine.Read(values);
            if ((since is null || row.QuarantinedAt >= since) && (until is null || row.QuarantinedAt < until))
            {
                if (rows.Count == MaxRows)
                {
                    limited = true;
                    break;
                }

                rows.Add(row);
            }
        }

        // Every row judged on its own, whatever the dataset's on_error.
        var document = JsonNode.Parse(dataset.Document.GetRawText())!.AsObject();
        document["on_error"] = "continue";
        var continuing = Dataset.From(dataset.Tenant, dataset.Name, System.Text.Json.JsonSerializer.SerializeToElement(document), dataset.TableName);

        var sources = new List<ReplayedSource>();
        foreach (var group in rows.GroupBy(r => r.FileId))
        {
            var replayable = group.Where(r => !r.Raw.StartsWith("base64:", StringComparison.Ordinal)).OrderBy(r => r.Line).ToList();
            var notReplayable = group.Count() - replayable.Count;
            if (replayable.Count == 0)
            {
                sources.Add(new ReplayedSource(group.Key, "bytes", 0, 0, 0, notReplayable));
                continue;
            }

            var file = await files.GetAsync(dataset.Tenant, group.Key, ct);
            var delimited = file is not null && continuing.FileType != FileType.Avro;
            var sink = new ReplaySink(coredms, continuing, ttl);
            if (delimited)
            {
                // The file as far as these rows go: its header line, then each row's raw text on the line(s) it needs.
                var text = new StringBuilder();
                var line = 1L;
                if (continuing.FirstRowIsHeader)
                {
                    text.Append(file!.Header ?? string.Join(continuing.Delimiter, continuing.Schema.Fields.Select(f => f.Name))).Append('\n');
                    line++;
                }

                foreach (var row in replayable)
                {
                    sink.Lines[line] = row.Line;
                    text.Append(row.Raw).Append('\n');
                    line += 1 + row.Raw.Count(c => c == '\n');
                }

                var content = Encoding.UTF8.GetBytes(text.ToString());
                await ingestion.RunAsync(continuing, group.Key, () => new MemoryStream(content, writable: false), sink, ct: ct);
            }
            else
            {
                for (var i = 0; i < replayable.Count; i++)
                {
                    sink.Lines[i + 1] = replayable[i].Line;
                }

                var body = Encoding.UTF8.GetBytes(string.Join('\n', replayable.Select(r => r.Raw)));
                await ingestion.IngestEventsAsync(continuing, group.Key, body, replayable.Count, sink, ct);
            }

            // The rows not quarantined again loaded: they leave the quarantine.
            var loaded = replayable.Where(r => !sink.Requarantined.Contains(r.Line)).ToList();
            foreach (var row in loaded)
            {
                await coredms.DeleteAsync(dataset.Quarantine, [dataset.Name, group.Key, row.Line], ct);
            }

            sources.Add(new ReplayedSource(group.Key, delimited ? continuing.FileType.ToString().ToLowerInvariant() : "json", replayable.Count, loaded.Count,
                replayable.Count - loaded.Count, notReplayable));
        }

        return new ReplayResult(sources.Sum(s => s.Replayed), sources.Sum(s => s.Loaded), sources.Sum(s => s.StillQuarantined), sources.Sum(s => s.NotReplayable),
            sources, limited);
    }

    /// <summary>Writes the rows that now load, and the ones quarantined again at their original lines (with their new reason).</summary>
    private sealed class ReplaySink(ICoredms coredms, Dataset dataset, TimeSpan? ttl) : IRowSink
    {
        /// <summary>Line in the replayed text → line in the original source.</summary>
        public SortedDictionary<long, long> Lines { get; } = [];

        public HashSet<long> Requarantined { get; } = [];

        private long[]? _starts;

        public async Task WriteAsync(RowBatch rows, RowBatch quarantine, CancellationToken ct)
        {
            if (rows.Count > 0)
            {
                await coredms.UpsertAsync(rows, ttl, ct);
            }

            if (quarantine.Count == 0)
            {
                return;
            }

            var moved = new RowBatch(dataset.Quarantine, quarantine.Count);
            for (var i = 0; i < quarantine.Count; i++)
            {
                var row = Quarantine.Read(quarantine, i);

                // A record starts on a line the replayed text gave it; a problem reported further into it belongs to it too.
                _starts ??= [.. Lines.Keys];
                var at = Array.BinarySearch(_starts, row.Line);
                at = at >= 0 ? at : ~at - 1;
                var original = at >= 0 ? Lines[_starts[at]] : row.Line;
                Requarantined.Add(original);
                Quarantine.Append(moved, row.Dataset, row.FileId, original, row.Column, row.Rule, row.Reason, Encoding.UTF8.GetBytes(row.Raw),
                    row.QuarantinedAt ?? DateTimeOffset.UtcNow);
            }

            await coredms.UpsertAsync(moved, ttl, ct);
        }
    }
}
