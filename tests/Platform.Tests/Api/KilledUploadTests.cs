using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Tests.Batch;

namespace Platform.Tests.Api;

/// <summary>The platform process killed (SIGKILL) in the middle of receiving an upload, then started again.</summary>
public sealed class KilledUploadTests
{
    /// <summary>A request body that sends its first bytes and then waits, as a client on a slow link would.</summary>
    private sealed class StalledContent(byte[] body, int sendFirst, Task release) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(body.AsMemory(0, sendFirst));
            await stream.FlushAsync();
            await release;
            await stream.WriteAsync(body.AsMemory(sendFirst));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }

    [Fact]
    public async Task AHalfReceivedUploadCountsWhileItExistsAndIsRemovedWithItsReservationWhenThePlatformStartsAgain()
    {
        var home = Directory.CreateTempSubdirectory("killed-upload-").FullName;
        var incoming = Path.Combine(home, "staging", "killed_up", ".incoming");
        var csv = Encoding.UTF8.GetBytes(MessyFile.Header + "\n" + string.Concat(Enumerable.Range(1, 20_000).Select(i => $"1,{i},2026-03-01,08:00:00,50,1,car,\n")));
        var boundary = "b0undary";
        var body = Encoding.UTF8.GetBytes($"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\nContent-Type: text/csv\r\n\r\n")
            .Concat(csv).Concat(Encoding.UTF8.GetBytes($"\r\n--{boundary}--\r\n")).ToArray();
        var release = new TaskCompletionSource();
        try
        {
            await using (var first = await ChildHost.StartAsync(home))
            {
                using var admin = await first.AdminAsync();
                Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync("/tenants", Repo.Body(new JsonObject { ["id"] = "killed_up" }))).StatusCode);
                await admin.RegisterAsync("killed_up", Flows.DatasetA(), Flows.AgreementWithoutApp().With("quotas", new JsonObject { ["files_per_day"] = 1 }));

                var content = new StalledContent(body, 64 * 1024, release.Task);
                content.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={boundary}");
                var upload = admin.PostAsync("/tenants/killed_up/datasets/speed_tracking/files", content);
                await Eventually.UntilAsync(() => Directory.Exists(incoming) && Directory.GetFiles(incoming, "*.part").Length == 1, "the upload's .part never appeared");

                // While it is received, it counts: the day's one file is taken, and its bytes are in staging.
                var usage = JsonDocument.Parse(await admin.GetStringAsync("/tenants/killed_up/usage")).RootElement;
                Assert.Equal(1, usage.GetProperty("quotas").GetProperty("files_per_day").GetProperty("used").GetInt32());
                Assert.True(usage.GetProperty("staged_bytes").GetInt64() >= csv.Length, usage.ToString());
                Assert.Equal(HttpStatusCode.TooManyRequests, (await admin.PostAsync("/tenants/killed_up/datasets/speed_tracking/files",
                    new MultipartFormDataContent { { new ByteArrayContent(csv), "file", "other.csv" } })).StatusCode);

                first.Kill();
                release.TrySetResult();
                await Assert.ThrowsAnyAsync<Exception>(() => upload);
            }

            Assert.Single(Directory.GetFiles(incoming, "*.part"));
            await using var second = await ChildHost.StartAsync(home);
            Assert.Empty(Directory.GetFiles(incoming, "*.part"));
            using var again = await second.AdminAsync();
            var after = JsonDocument.Parse(await again.GetStringAsync("/tenants/killed_up/usage")).RootElement;
            Assert.Equal((0, 0L), (after.GetProperty("quotas").GetProperty("files_per_day").GetProperty("used").GetInt32(), after.GetProperty("staged_bytes").GetInt64()));
            Assert.Equal(HttpStatusCode.Accepted, (await again.PostAsync("/tenants/killed_up/datasets/speed_tracking/files",
                new MultipartFormDataContent { { new ByteArrayContent(csv), "file", "retry.csv" } })).StatusCode);
        }
        finally
        {
            release.TrySetResult();
            Directory.Delete(home, recursive: true);
        }
    }
}
