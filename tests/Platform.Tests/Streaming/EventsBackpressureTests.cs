using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StreamIngestManager.Transport;

namespace Platform.Tests.Streaming;

/// <summary>
/// When writes stall, events requests wait in a bounded queue and the rest are refused with 503 and Retry-After,
/// instead of piling up in memory; every request answered 202 is stored once the writes go on, and nothing of a
/// refused one is. A flooding tenant holds half the room at most: another tenant's request is still taken.
/// </summary>
public sealed class EventsBackpressureTests
{
    private const int Requests = 40;
    private const int EventsPerRequest = 800;

    [Fact]
    public async Task AWriteStallFillsTheQueueThenRequestsGet503WithRetryAfterAndEvery202IsStored()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await PlatformHost.StartAsync(new Dictionary<string, string?>
        {
            // About 100 KB a request: twenty in flight and twenty queued in all, half of each (1 MiB, the largest request)
            // for one tenant; the rest refused at once; the queued ones give up after a second.
            ["Stream:MaxEventsRequestMb"] = "1",
            ["Stream:EventsInFlightMb"] = "2",
            ["Stream:EventsQueueMb"] = "2",
            ["Stream:EventsQueueSeconds"] = "1",
        }, services: s =>
        {
            var transport = s.Last(d => d.ServiceType == typeof(IStreamTransport));
            s.Replace(ServiceDescriptor.Singleton<IStreamTransport>(sp => new StalledTransport((IStreamTransport)transport.ImplementationFactory!(sp), gate.Task)));
        });
        using var http = await host.TenantAsync("flood");
        await http.RegisterAsync("flood", Flows.StreamDatasetA(), Flows.AgreementWithoutApp());

        var refused = 0;
        var answers = Enumerable.Range(1, Requests).Select(async sensor =>
        {
            var body = string.Join('\n', Enumerable.Range(1, EventsPerRequest).Select(i =>
                $$"""{"sensor_id": {{sensor}}, "reading_id": {{i}}, "date": "2026-03-01", "time": "08:00:00", "speed_kmh": 50, "vehicle_class": "car"}"""));
            using var response = await http.PostAsync("/tenants/flood/datasets/speed_tracking/events", new StringContent(body, Encoding.UTF8, "application/x-ndjson"));
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "a 503 says when to try again");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                Assert.EndsWith("events-backlog", problem.RootElement.GetProperty("type").GetString());
                Interlocked.Increment(ref refused);
            }
            else
            {
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            }

            return (Sensor: sensor, Status: response.StatusCode);
        }).ToList();

        // While nothing can be written, at most ten of the tenant's requests are taken and ten wait: the others are refused.
        await Eventually.UntilAsync(() => Task.FromResult(Volatile.Read(ref refused)), n => n >= Requests - 10, n => $"{n} requests were refused while writes stalled; answered: " +
            string.Join(", ", answers.Where(a => a.IsCompleted).Select(a => a.IsCompletedSuccessfully ? a.Result.Status.ToString() : a.Exception!.InnerException!.Message)));
        Assert.DoesNotContain(answers, a => a.IsCompletedSuccessfully && a.Result.Status == HttpStatusCode.Accepted);

        // Another tenant's request meanwhile finds the room the flood cannot take: it waits for the writes, not refused.
        using var quiet = await host.TenantAsync("quiet");
        await quiet.RegisterAsync("quiet", Flows.StreamDatasetA(), Flows.AgreementWithoutApp());
        var other = quiet.PostAsync("/tenants/quiet/datasets/speed_tracking/events", new StringContent(string.Join('\n', Enumerable.Range(1, EventsPerRequest).Select(i =>
            $$"""{"sensor_id": 1, "reading_id": {{i}}, "date": "2026-03-01", "time": "08:00:00", "speed_kmh": 50, "vehicle_class": "car"}""")), Encoding.UTF8, "application/x-ndjson"));

        // Taken, it waits for the stalled writes past the queue's one second; refused, it would be answered by then.
        await Task.WhenAny(other, Task.Delay(TimeSpan.FromSeconds(3)));
        Assert.False(other.IsCompleted, other.IsCompleted ? $"the quiet tenant's request was answered {(await other).StatusCode} while writes stalled" : "");

        gate.SetResult();
        var statuses = await Task.WhenAll(answers);
        var accepted = statuses.Where(s => s.Status == HttpStatusCode.Accepted).Select(s => s.Sensor).ToHashSet();
        Assert.InRange(accepted.Count, 1, 10);
        using (var answer = await other)
        {
            Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);
        }

        Assert.Equal(EventsPerRequest, (await quiet.WaitForRowsAsync("quiet", "speed_tracking", EventsPerRequest)).Count);

        var rows = await http.WaitForRowsAsync("flood", "speed_tracking", accepted.Count * EventsPerRequest);
        Assert.Equal(accepted.Count * EventsPerRequest, rows.Count);
        Assert.Equal(accepted.Order(), rows.Select(r => r.GetProperty("sensor_id").GetInt32()).Distinct().Order());
    }

    /// <summary>The platform's transport, holding every publish until the gate opens (a store that stopped taking writes).</summary>
    private sealed class StalledTransport(IStreamTransport inner, Task gate) : IStreamTransport
    {
        public async Task PublishAsync(string tenant, string dataset, long schemaFingerprint, IReadOnlyList<StreamRecord> records, CancellationToken ct)
        {
            await gate.WaitAsync(ct);
            await inner.PublishAsync(tenant, dataset, schemaFingerprint, records, ct);
        }

        public Task PrepareAsync(string tenant, string dataset, CancellationToken ct) => inner.PrepareAsync(tenant, dataset, ct);

        public bool IsBehind(string tenant, string dataset) => inner.IsBehind(tenant, dataset);

        public Task ConsumeAsync(string tenant, Func<IReadOnlyList<StreamDelivery>, CancellationToken, Task> handler, CancellationToken ct) =>
            inner.ConsumeAsync(tenant, handler, ct);
    }
}
