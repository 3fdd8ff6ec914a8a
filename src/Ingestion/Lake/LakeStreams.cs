using System.Collections.Concurrent;
using System.Text.Json;
using Catalog.Datasets;
using Coredms;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ingestion.Lake;

/// <summary>
/// The lake sink of streamed rows. A consumer hands each micro-batch over once coredms has it and before it tells the
/// transport so (<see cref="AppendAsync"/>): the rows are written to the dataset's stream spool as a segment, on disk
/// before the call returns, so nothing acknowledged is only in memory. Rows whose record id (source, position) was
/// already taken within <see cref="LakeOptions.StreamDedupHours"/> are dropped: a redelivered batch or a file streamed
/// again after a crash adds nothing twice. Segments are rolled into one lake file (per hour partition) once they hold
/// <see cref="LakeOptions.RollRows"/> rows or <see cref="LakeOptions.RollBytes"/> bytes, or the oldest is
/// <see cref="LakeOptions.RollSeconds"/> old; the file is named by its first segment, so rolling the same segments
/// again after a crash writes the same file. The <see cref="LakePublisher"/> then writes it like a batch file's.
/// </summary>
public sealed class LakeStreams(LakeSpool spool, DatasetCatalog datasets, IOptions<LakeOptions> options, TimeProvider clock, ILogger<LakeStreams> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<(string Tenant, string Dataset), StreamLog> _logs = new();
    private readonly ConcurrentDictionary<(string Tenant, string Dataset), Dataset> _datasets = new();

    /// <summary>Spools a micro-batch's rows (<paramref name="ids"/> holds each row's record id) for the dataset's lake.</summary>
    public Task AppendAsync(Dataset dataset, RowBatch rows, IReadOnlyList<RecordId> ids, CancellationToken ct)
    {
        if (dataset.Lake is null || rows.Count == 0)
        {
            return Task.CompletedTask;
        }

        _datasets[(dataset.Tenant, dataset.Name)] = dataset;
        var log = _logs.GetOrAdd((dataset.Tenant, dataset.Name), key => new StreamLog(Folder(key.Tenant, key.Dataset), options.Value));
        return log.AppendAsync(rows, ids, clock.GetUtcNow(), ct);
    }

    private string Folder(string tenant, string dataset) => Path.Combine(spool.Root, tenant, dataset, "stream");

    public override void Dispose()
    {
        foreach (var log in _logs.Values)
        {
            log.Dispose();
        }

        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var ct = stoppingToken;
        // Segments an earlier run left are rolled like new ones.
        if (Directory.Exists(spool.Root))
        {
            foreach (var folder in Directory.EnumerateDirectories(spool.Root, "stream", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 3 }))
            {
                var dataset = Path.GetFileName(Path.GetDirectoryName(folder)!);
                var tenant = Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(folder))!);
                if (await datasets.GetAsync(tenant, dataset, ct) is { Lake: not null } found)
                {
                    _datasets.TryAdd((tenant, dataset), found);
                    _logs.GetOrAdd((tenant, dataset), key => new StreamLog(Folder(key.Tenant, key.Dataset), options.Value));
                }
            }
        }

        while (!ct.IsCancellationRequested)
        {
            foreach (var ((tenant, name), log) in _logs)
            {
                try
                {
                    if (_datasets.TryGetValue((tenant, name), out var dataset) && await log.RollIfDueAsync(dataset, spool, clock.GetUtcNow(), ct))
                    {
                        spool.Wake();
                    }
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    logger.LogError(e, "Rolling the lake's stream spool of {TenantId}/{Dataset} failed; it is tried again shortly", tenant, name);
                }
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), clock, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One dataset's stream spool: its segments, and the record ids taken recently.</summary>
    private sealed class StreamLog(string folder, LakeOptions options) : IDisposable
    {
        private const string IdsFile = "ids.jsonl";
        private const string OldIdsFile = "ids.old.jsonl";

        private readonly SemaphoreSlim _gate = new(1, 1);
        private readonly Dictionary<string, (List<(long From, long To)> Ranges, DateTimeOffset Seen)> _taken = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, int> _rows = new(StringComparer.Ordinal);
        private bool _loaded;
        private long _lastName;

        public void Dispose() => _gate.Dispose();

        /// <summary>A segment's rows, read from its header once.</summary>
        private int RowsOf(string segment) => _rows.GetOrAdd(segment, s => StreamSegment.ReadHeader(s).Rows);

        public async Task AppendAsync(RowBatch rows, IReadOnlyList<RecordId> ids, DateTimeOffset now, CancellationToken ct)
        {
            await _gate.WaitAsync(ct);
            try
            {
                Load();
                var keep = new List<int>(rows.Count);
                var taken = new Dictionary<string, List<(long From, long To)>>(StringComparer.Ordinal);
                for (var r = 0; r < rows.Count; r++)
                {
                    var id = ids[r];
                    if (Contains(id) || (taken.TryGetValue(id.Source, out var mine) && Contains(mine, id.Position)))
                    {
                        continue;
                    }

                    keep.Add(r);
                    if (!taken.TryGetValue(id.Source, out mine))
                    {
                        taken[id.Source] = mine = [];
                    }

                    Add(mine, id.Position, id.Position);
                }

                if (keep.Count == 0)
                {
                    return;
                }

                var ranges = taken.ToDictionary(t => t.Key, t => t.Value.Select(v => new[] { v.From, v.To }).ToArray(), StringComparer.Ordinal);
                Directory.CreateDirectory(folder);

                // Names are times in ticks, strictly increasing, so that they sort in arrival order and never repeat on this machine.
                _lastName = Math.Max(_lastName + 1, now.UtcTicks);
                StreamSegment.Write(Path.Combine(folder, $"{_lastName:D19}.seg"), rows, keep, now, ranges);
                Remember(ranges, now);
            }
            finally
            {
                _gate.Release();
            }
        }

        /// <summary>Rolls the segments into a lake file when they are due; true when one was handed to the publisher.</summary>
        public async Task<bool> RollIfDueAsync(Dataset dataset, LakeSpool spool, DateTimeOffset now, CancellationToken ct)
        {
            if (!Directory.Exists(folder))
            {
                return false;
            }

            var segments = Directory.GetFiles(folder, "*.seg").Order(StringComparer.Ordinal).ToList();
            if (segments.Count == 0)
            {
                return false;
            }

            var oldest = new DateTimeOffset(long.Parse(Path.GetFileNameWithoutExtension(segments[0]), System.Globalization.CultureInfo.InvariantCulture), TimeSpan.Zero);
            var bytes = segments.Sum(s => new FileInfo(s).Length);
            var rows = segments.Sum(s => (long)RowsOf(s));
            if (rows < options.RollRows && bytes < options.RollBytes && now - oldest < TimeSpan.FromSeconds(options.RollSeconds))
            {
                return false;
            }

            await _gate.WaitAsync(ct);
            try
            {
                // Named by the host and first segment: rolling these segments again after a crash makes the same file.
                var source = $"s-{Environment.MachineName}-{Path.GetFileNameWithoutExtension(segments[0])}";
                await using var writer = spool.BeginStream(dataset, source);
                var ids = new List<StreamSegment.Header>();
                foreach (var segment in segments)
                {
                    var (header, batch) = StreamSegment.Read(segment, dataset.Table);
                    await writer.WriteAsync(batch, DateTimeOffset.FromUnixTimeMilliseconds(header.ReceivedAtMs), ct);
                    ids.Add(header);
                }

                await writer.CompleteAsync(ct);

                // The rolled ids stay known (for replays) after their segments go.
                await using (var log = new StreamWriter(Path.Combine(folder, IdsFile), append: true))
                {
                    foreach (var header in ids)
                    {
                        await log.WriteLineAsync(JsonSerializer.Serialize(new { at = header.ReceivedAtMs, ids = header.Ids }));
                    }
                }

                foreach (var segment in segments)
                {
                    File.Delete(segment);
                    _rows.TryRemove(segment, out _);
                }

                Forget(now);
                return true;
            }
            finally
            {
                _gate.Release();
            }
        }

        /// <summary>Reads the ids taken recently: those of the segments still spooled and those rolled (kept in two files that take turns).</summary>
        private void Load()
        {
            if (_loaded)
            {
                return;
            }

            _loaded = true;
            if (!Directory.Exists(folder))
            {
                return;
            }

            foreach (var file in new[] { OldIdsFile, IdsFile }.Select(f => Path.Combine(folder, f)).Where(File.Exists))
            {
                foreach (var line in File.ReadLines(file).Where(l => l.Length > 0))
                {
                    using var json = JsonDocument.Parse(line);
                    var ranges = json.RootElement.GetProperty("ids").Deserialize<Dictionary<string, long[][]>>()!;
                    Remember(ranges, DateTimeOffset.FromUnixTimeMilliseconds(json.RootElement.GetProperty("at").GetInt64()));
                }
            }

            foreach (var segment in Directory.GetFiles(folder, "*.seg"))
            {
                var header = StreamSegment.ReadHeader(segment);
                Remember(header.Ids, DateTimeOffset.FromUnixTimeMilliseconds(header.ReceivedAtMs));
                _lastName = Math.Max(_lastName, long.Parse(Path.GetFileNameWithoutExtension(segment), System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        private void Remember(Dictionary<string, long[][]> ranges, DateTimeOffset at)
        {
            foreach (var (source, list) in ranges)
            {
                if (!_taken.TryGetValue(source, out var entry))
                {
                    entry = ([], at);
                }

                foreach (var range in list)
                {
                    Add(entry.Ranges, range[0], range[1]);
                }

                _taken[source] = (entry.Ranges, entry.Seen > at ? entry.Seen : at);
            }
        }

        /// <summary>Drops sources not seen for the dedup window; the ids file takes its turn once it is that old.</summary>
        private void Forget(DateTimeOffset now)
        {
            var window = TimeSpan.FromHours(options.StreamDedupHours);
            foreach (var source in _taken.Where(t => now - t.Value.Seen > window).Select(t => t.Key).ToList())
            {
                _taken.Remove(source);
            }

            var ids = Path.Combine(folder, IdsFile);
            if (File.Exists(ids) && File.ReadLines(ids).FirstOrDefault() is { Length: > 0 } first
                && now - DateTimeOffset.FromUnixTimeMilliseconds(JsonDocument.Parse(first).RootElement.GetProperty("at").GetInt64()) > window)
            {
                File.Move(ids, Path.Combine(folder, OldIdsFile), overwrite: true);
            }
        }

        private bool Contains(RecordId id) => _taken.TryGetValue(id.Source, out var entry) && Contains(entry.Ranges, id.Position);

        private static bool Contains(List<(long From, long To)> ranges, long position)
        {
            int low = 0, high = ranges.Count - 1;
            while (low <= high)
            {
                var mid = (low + high) / 2;
                if (position < ranges[mid].From)
                {
                    high = mid - 1;
                }
                else if (position > ranges[mid].To)
                {
                    low = mid + 1;
                }
                else
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Adds the positions <paramref name="from"/> to <paramref name="to"/> to sorted, disjoint ranges, joining the ranges they touch.</summary>
        private static void Add(List<(long From, long To)> ranges, long from, long to)
        {
            // Positions mostly come in order: after the last range, or joining it.
            if (ranges.Count == 0 || ranges[^1].To + 1 < from)
            {
                ranges.Add((from, to));
                return;
            }

            if (ranges[^1].From <= from)
            {
                ranges[^1] = (ranges[^1].From, Math.Max(ranges[^1].To, to));
                return;
            }

            var first = ranges.FindIndex(r => r.To + 1 >= from);
            var (start, end) = (from, to);
            var past = first;
            while (past < ranges.Count && ranges[past].From <= to + 1)
            {
                (start, end) = (Math.Min(start, ranges[past].From), Math.Max(end, ranges[past].To));
                past++;
            }

            ranges.RemoveRange(first, past - first);
            ranges.Insert(first, (start, end));
        }
    }
}

/// <summary>
/// Writes to coredms, then spools the written rows for the dataset's lake as the records of <paramref name="source"/>,
/// numbered in the order they came: for rows that arrive other than through the transport (captured changes), whose
/// source names them the same way when they come again.
/// </summary>
public sealed class StreamLakeSink(Pipeline.IRowSink coredms, LakeStreams lake, Dataset dataset, string source) : Pipeline.IRowSink
{
    public async Task WriteAsync(RowBatch rows, RowBatch quarantine, CancellationToken ct)
    {
        await coredms.WriteAsync(rows, quarantine, ct);
        await lake.AppendAsync(dataset, rows, Enumerable.Range(1, rows.Count).Select(i => new RecordId(source, i)).ToList(), ct);
    }
}
