using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace Benchmarks;

/// <summary>
/// The events endpoint under load: the seed tenant A shape (its dataset as written, ingestion_mode stream),
/// requests of 1,000 NDJSON events (distinct keys throughout) sent back to back by 1, 8 and 32 clients for
/// --seconds each, on the embedded transport and on Kafka (the mock cluster, three brokers), the platform in
/// its own process. Per phase: requests/s, events/s, MB/s of request bodies, ack latency p50/p99 (send ->
/// 202), the platform's peak RSS during the phase and its RSS 30 s after. At the end of each transport the
/// rows are counted in the SQLite files with the sqlite3 CLI: every event answered 202 must be there.
/// --clients N runs one phase of N clients (for profiling one shape).
/// </summary>
internal static class EventsBenchmark
{
    private const int EventsPerRequest = 1000;
    private static readonly int[] Clients = [1, 8, 32];
    private static readonly string[] Transports = ["embedded", "kafka"];

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = Measure.Option(args, "--seconds", 60);
        var only = Measure.Option(args, "--transport");
        var clients = Measure.Option(args, "--clients") is { } n ? [int.Parse(n, CultureInfo.InvariantCulture)] : Clients;
        var root = Measure.RepoRoot();
        Console.WriteLine($"Events, seed tenant A shape, {EventsPerRequest:N0} events per request, clients sending back to back for {seconds} s per row; the platform in its own process");
        Console.WriteLine($"{"transport",-10}{"clients",8}{"req/s",9}{"events/s",11}{"MB/s",8}{"p50 ms",8}{"p99 ms",8}{"503s",7}{"peak RSS MB",13}{"RSS +30 s MB",14}");
        var failed = false;
        foreach (var transport in Transports.Where(x => only is null || x == only))
        {
            failed |= !await RunTransportAsync(root, transport, seconds, clients);
        }

        Console.WriteLine("  reference: Tinybird's Events API allows 100 requests/s and 20 MB/s per data source");
        Console.WriteLine("  targets: embedded 8 clients >= 100 req/s and >= 20 MB/s; 1 client p99 <= 50 ms; Kafka 8 clients >= 50 req/s, p99 <= 250 ms; peak RSS <= 300 MB, <= 200 MB 30 s after");
        return failed ? 1 : 0;
    }

    private static async Task<bool> RunTransportAsync(string root, string transport, int seconds, int[] phases)
    {
        var home = Directory.CreateTempSubdirectory("mysimbdp-bench-events-").FullName;
        try
        {
            var shape = BatchShape.SeedA(root);
            shape.Dataset["ingestion_mode"] = "stream";
            await using var platform = await PlatformProcess.StartAsync(home, shape, new Dictionary<string, string>
            {
                ["Transport__Engine"] = transport,
                ["Transport__Kafka__MockBrokers"] = transport == "kafka" ? "3" : "0",
            });
            var path = $"/tenants/{shape.Tenant}/datasets/{shape.DatasetName}/events";

            var bodies = new EventBodies();
            var warmUp = new byte[bodies.MaxLength];
            await SendAsync(platform.Http, path, warmUp, bodies.Next(warmUp)); // warm-up: compiles the path, creates the topic
            var accepted = (long)EventsPerRequest;
            foreach (var clients in phases)
            {
                platform.ResetPeakResident();
                var phase = await PhaseAsync(platform, path, clients, seconds, bodies);
                accepted += phase.Accepted * EventsPerRequest;
                var peak = platform.PeakResidentBytes();
                await Task.Delay(TimeSpan.FromSeconds(30));
                var settled = platform.ResidentBytes();
                Console.WriteLine($"{transport,-10}{clients,8}{phase.Accepted / phase.Seconds,9:F1}{phase.Accepted * EventsPerRequest / phase.Seconds,11:N0}" +
                    $"{phase.Bytes / 1e6 / phase.Seconds,8:F1}{phase.P50,8:F0}{phase.P99,8:F0}{phase.Refused,7}{peak / 1e6,13:F0}{settled / 1e6,14:F0}");
            }

            // 202 means stored (embedded) or acknowledged by Kafka, which the consumer then writes: wait for it, then count.
            var watch = Stopwatch.StartNew();
            long stored;
            while ((stored = CountRows(home, shape)) < accepted && watch.Elapsed < TimeSpan.FromMinutes(2))
            {
                await Task.Delay(200);
            }

            var caughtUp = transport == "kafka" ? $", the consumer caught up {watch.Elapsed.TotalSeconds:F1} s after the last 202" : "";
            Console.WriteLine($"  {transport}: {accepted:N0} events answered 202, {stored:N0} rows in the store (sqlite3 count){caughtUp}" +
                (stored == accepted ? "" : $"  MISMATCH: {accepted - stored:N0} missing; quarantine: {CountRows(home, shape, "quarantine")}"));
            var errors = Measure.LogErrors(home);
            Console.WriteLine($"  {transport}: errors in the platform's log: {errors.Count}");
            errors.Take(3).ToList().ForEach(e => Console.WriteLine("    " + e));
            return stored == accepted && errors.Count == 0;
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    private sealed record Phase(long Accepted, long Refused, long Bytes, double Seconds, double P50, double P99);

    /// <summary><paramref name="clients"/> clients, each sending its next request as soon as the last is answered, until the time is up.</summary>
    private static async Task<Phase> PhaseAsync(PlatformProcess platform, string path, int clients, int seconds, EventBodies bodies)
    {
        var latencies = new List<double>[clients];
        long accepted = 0, refused = 0, bytes = 0;
        var end = Stopwatch.GetTimestamp() + seconds * Stopwatch.Frequency;
        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            latencies[c] = [];
            var body = new byte[bodies.MaxLength];
            while (Stopwatch.GetTimestamp() < end)
            {
                var length = bodies.Next(body);
                var sent = Stopwatch.GetTimestamp();
                var status = await SendAsync(platform.Http, path, body, length);
                if (status == HttpStatusCode.Accepted)
                {
                    latencies[c].Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                    Interlocked.Increment(ref accepted);
                    Interlocked.Add(ref bytes, length);
                }
                else
                {
                    Interlocked.Increment(ref refused);
                    await Task.Delay(100);
                }
            }
        })));
        var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new Phase(accepted, refused, bytes, elapsed, all[all.Length / 2], all[(int)Math.Ceiling(all.Length * 0.99) - 1]);
    }

    /// <summary>Sends one request; 202 and 503 are answers the bench counts, anything else stops it.</summary>
    private static async Task<HttpStatusCode> SendAsync(HttpClient http, string path, byte[] body, int length)
    {
        using var content = new ByteArrayContent(body, 0, length);
        content.Headers.ContentType = new("application/x-ndjson");
        using var response = await http.PostAsync(path, content);
        if (response.StatusCode is not (HttpStatusCode.Accepted or HttpStatusCode.ServiceUnavailable))
        {
            throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        return response.StatusCode;
    }

    /// <summary>
    /// The requests' bodies: 1,000 events of the tenant A shape each, keys of their own (device = request, ONU =
    /// line). The load generator shares the two cores with the platform, so it must cost next to nothing: the
    /// events are rendered once into a few templates, and a request copies one into its client's buffer and writes
    /// its device id (13 digits, the same width in every request) in place. The other values repeat every
    /// <see cref="Templates"/> requests, which changes nothing for the platform's work.
    /// </summary>
    private sealed class EventBodies
    {
        private const int Templates = 16;
        private const long FirstDevice = 8_400_000_000_000L;
        private static readonly byte[] DeviceField = "\"DEVICEID\":\""u8.ToArray();
        private readonly (byte[] Text, int[] DeviceAt)[] _templates;
        private long _next;

        public EventBodies()
        {
            _templates = Enumerable.Range(0, Templates).Select(t =>
            {
                var text = Render(new Random(t));
                var at = new List<int>(EventsPerRequest);
                var from = 0;
                while (text.AsSpan(from).IndexOf(DeviceField) is var i and >= 0)
                {
                    from += i + DeviceField.Length;
                    at.Add(from);
                }

                return (text, at.ToArray());
            }).ToArray();
            MaxLength = _templates.Max(t => t.Text.Length);
        }

        public int MaxLength { get; }

        /// <summary>Writes the next request's body into <paramref name="buffer"/> and answers its length.</summary>
        public int Next(byte[] buffer)
        {
            var n = Interlocked.Increment(ref _next) - 1;
            var (text, deviceAt) = _templates[n % Templates];
            text.CopyTo(buffer, 0);
            Span<byte> device = stackalloc byte[13];
            (FirstDevice + n).TryFormat(device, out _, provider: CultureInfo.InvariantCulture);
            foreach (var at in deviceAt)
            {
                device.CopyTo(buffer.AsSpan(at));
            }

            return text.Length;
        }

        private static byte[] Render(Random random)
        {
            var text = new StringBuilder(EventsPerRequest * 200);
            for (var i = 0; i < EventsPerRequest; i++)
            {
                text.Append("{\"PROVINCECODE\":\"HNI\",\"DEVICEID\":\"").Append(FirstDevice.ToString(CultureInfo.InvariantCulture))
                    .Append("\",\"IFINDEX\":").Append(random.Next(1_000_000, 1_017_017)).Append(",\"FRAME\":").Append(random.Next(0, 2))
                    .Append(",\"SLOT\":").Append(random.Next(1, 17)).Append(",\"PORT\":").Append(random.Next(1, 17))
                    .Append(",\"ONUINDEX\":").Append(i % 128).Append(",\"ONUID\":").Append(268_435_456 + i)
                    .Append(",\"TIME\":\"2026-03-01 08:").Append((i % 60).ToString("D2", CultureInfo.InvariantCulture)).Append(":00\"")
                    .Append(",\"SPEEDIN\":").Append((random.NextDouble() * 1000).ToString("F3", CultureInfo.InvariantCulture))
                    .Append(",\"SPEEDOUT\":").Append((random.NextDouble() * 200).ToString("F3", CultureInfo.InvariantCulture)).Append("}\n");
            }

            return Encoding.UTF8.GetBytes(text.ToString());
        }
    }

    /// <summary>The dataset's rows in the tenant's SQLite files, counted by the sqlite3 CLI.</summary>
    private static long CountRows(string home, BatchShape shape, string? table = null)
    {
        var keyspace = Coredms.KeyspaceNames.Physical(shape.Tenant, shape.Dataset["key_space"]!.GetValue<string>());
        table ??= shape.Dataset["schema"]!["name"]!.GetValue<string>().ToLowerInvariant();
        return Directory.EnumerateFiles(home, keyspace + "*.db", SearchOption.AllDirectories)
            .Sum(file => long.Parse(Sqlite3(file, $"SELECT count(*) FROM {table};"), CultureInfo.InvariantCulture));
    }

    private static string Sqlite3(string db, string sql)
    {
        using var process = Process.Start(new ProcessStartInfo("sqlite3", ["-readonly", db, sql]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output.Trim() : throw new InvalidOperationException($"sqlite3 {db}: {errors}");
    }
}
