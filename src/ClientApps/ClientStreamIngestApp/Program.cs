using Wrangling;

// clientstreamingestapp: runs until stopped, watching {SOURCE_PATH}/{CLIENT_ID}/in; each complete file (files
// appear by rename; names starting with '.' are in progress) is tidied into out/ under the same relative name,
// written then renamed, once. A rescan every second catches what the watcher missed.
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

var done = new Dictionary<string, DateTime>(StringComparer.Ordinal);
var wake = new SemaphoreSlim(0);
using var watcher = new FileSystemWatcher(input) { IncludeSubdirectories = true, EnableRaisingEvents = true };
watcher.Created += (_, _) => wake.Release();
watcher.Renamed += (_, _) => wake.Release();
Console.WriteLine($"{client}: watching {input}");

while (!stop.IsCancellationRequested)
{
    foreach (var file in Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
    {
        var name = Path.GetFileName(file);
        if (name.StartsWith('.') || name.EndsWith(".tmp", StringComparison.Ordinal) || name.EndsWith(".part", StringComparison.Ordinal))
        {
            continue;
        }

        DateTime written;
        try
        {
            written = File.GetLastWriteTimeUtc(file);
        }
        catch (IOException)
        {
            continue;
        }

        if (done.TryGetValue(file, out var seen) && seen == written)
        {
            continue;
        }

        var relative = Path.GetRelativePath(input, file);
        try
        {
            Console.WriteLine($"{client}: {relative}: {Wrangler.WrangleFile(client, file, Path.Combine(output, relative))}");
            done[file] = written;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"{client}: {relative}: {e.Message}");
        }
    }

    foreach (var gone in done.Keys.Where(k => !File.Exists(k)).ToList())
    {
        done.Remove(gone);
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
