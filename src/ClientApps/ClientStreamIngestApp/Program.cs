using Wrangling;

// clientstreamingestapp: runs until stopped, watching {SOURCE_PATH}/{CLIENT_ID}/in. Each complete file there
// (files arrive by rename; names starting with '.' or ending in .tmp/.part are still being written) is tidied
// into out/ under the same relative name, written then renamed, and then removed from in/: out/ holds the
// file from then on. A rescan every second catches what the watcher missed.
var client = Environment.GetEnvironmentVariable("CLIENT_ID");
var source = Environment.GetEnvironmentVariable("SOURCE_PATH");
if (string.IsNullOrEmpty(client) || string.IsNullOrEmpty(source))
{
    Console.Error.WriteLine("clientstreamingestapp needs CLIENT_ID and SOURCE_PATH");
    return 2;
}

var input = Path.Combine(source, client, "in");
var output = Path.Combine(source, client, "out");
Directory.CreateDirectory(input);
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

using var wake = new SemaphoreSlim(0);
using var watcher = new FileSystemWatcher(input) { IncludeSubdirectories = true, NotifyFilter = NotifyFilters.FileName, EnableRaisingEvents = true };
watcher.Created += (_, _) => wake.Release();
watcher.Renamed += (_, _) => wake.Release();
Console.WriteLine($"{client}: watching {input}");

// Files that failed, with the write time they failed at: tried again only once they change.
var failed = new Dictionary<string, DateTime>(StringComparer.Ordinal);
while (!stop.IsCancellationRequested)
{
    foreach (var file in Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
    {
        var relative = Path.GetRelativePath(input, file);
        if (relative.Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.'))
            || relative.EndsWith(".tmp", StringComparison.OrdinalIgnoreCase) || relative.EndsWith(".part", StringComparison.OrdinalIgnoreCase))
        {
            continue;
        }

        try
        {
            var written = File.GetLastWriteTimeUtc(file);
            if (failed.TryGetValue(file, out var at) && at == written)
            {
                continue;
            }

            try
            {
                Console.WriteLine($"{client}: {relative}: {Wrangler.WrangleFile(client, file, Path.Combine(output, relative))}");
                File.Delete(file);
                failed.Remove(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"{client}: {relative}: {e.Message}");
                failed[file] = written;
            }
        }
        catch (IOException)
        {
            // Gone meanwhile.
        }
    }

    foreach (var gone in failed.Keys.Where(k => !File.Exists(k)).ToList())
    {
        failed.Remove(gone);
    }

    try
    {
        await wake.WaitAsync(TimeSpan.FromSeconds(1), stop.Token);
    }
    catch (OperationCanceledException)
    {
    }
}

return 0;
