using System.CommandLine;
using System.Net.Http.Headers;
using System.Text.Json;
using Spectre.Console;

namespace Mysimbdp.Cli;

/// <summary><c>upload</c>: sends files to a dataset's staging, one after another, with a progress bar each.</summary>
public static class UploadCommand
{
    public static Command Create(Func<ParseResult, Session> sessionOf)
    {
        var files = new Argument<FileInfo[]>("files") { Description = "The CSV, TSV or Avro files.", Arity = ArgumentArity.OneOrMore };
        var dataset = new Option<string?>("--dataset", "-d") { Description = "The dataset (default: the tenant's default dataset)." };
        var replace = new Option<bool>("--replace")
        {
            Description = "Each file, once loaded, replaces the dataset's rows, all at once for readers (a file that fails leaves them as they were).",
        };
        var command = new Command("upload", "Upload files for ingestion (staged until the next run or 'ingest').") { files, dataset, replace };
        command.Does(sessionOf, async (p, session, ct) =>
        {
            var given = p.GetValue(files)!;
            if (given.FirstOrDefault(f => !f.Exists) is { } missing)
            {
                throw new CliException(ExitCodes.Usage, $"no file {missing.FullName}");
            }

            using var client = session.Connect();
            var tenant = session.TenantOf(client);
            var path = (p.GetValue(dataset) is { } d ? $"tenants/{tenant}/datasets/{Uri.EscapeDataString(d)}/files" : $"upload-file/{tenant}") +
                (p.GetValue(replace) ? "?mode=replace" : "");
            var results = new List<JsonElement>();
            var refused = new List<string>();
            async Task SendAll(Func<FileInfo, Action<long>> progressOf)
            {
                foreach (var file in given)
                {
                    var report = progressOf(file);
                    try
                    {
                        results.Add(await client.PostAsync(path, () => Form(file, report), ct));
                    }
                    catch (CliException e)
                    {
                        // The other files still go: each upload stands alone, and the summary names every refusal.
                        refused.Add($"{file.Name}: {e.Message}");
                    }
                }
            }

            if (session.Json)
            {
                await SendAll(_ => _ => { });
                session.WriteJson(JsonSerializer.SerializeToElement(new { files = results }));
            }
            else
            {
                await session.Ui.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
                    .StartAsync(async context =>
                    {
                        var tasks = given.ToDictionary(f => f, f => context.AddTask(f.Name.EscapeMarkup(), autoStart: false, maxValue: Math.Max(1, f.Length)));
                        await SendAll(file =>
                        {
                            var task = tasks[file];
                            task.StartTask();
                            return sent => task.Value = sent;
                        });
                    });
                if (results.Count > 0)
                {
                    TenantCommands.Listing(session, JsonSerializer.SerializeToElement(new { files = results }), "files",
                        ("file", "file_id"), ("dataset", "dataset"), ("name", "name"), ("status", "status"), ("bytes", "bytes"));
                }
            }

            foreach (var line in refused)
            {
                await session.Error.WriteLineAsync($"mysimbdp upload: {line}");
            }

            return refused.Count == 0 ? ExitCodes.Succeeded : ExitCodes.Refused;
        });
        return command;
    }

    /// <summary>The multipart form the API takes (one field, <c>file</c>), read from disk as it is sent.</summary>
    private static MultipartFormDataContent Form(FileInfo file, Action<long> report)
    {
        var content = new StreamContent(new CountingStream(File.OpenRead(file.FullName), report), 81920);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return new MultipartFormDataContent { { content, "file", file.Name } };
    }

    /// <summary>A read-only stream that reports how many bytes have been read from it so far.</summary>
    private sealed class CountingStream(Stream inner, Action<long> report) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int read)
        {
            _read += read;
            report(_read);
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
