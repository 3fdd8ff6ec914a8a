using System.Text.Json;
using Catalog;
using Catalog.Datasets;
using Catalog.Files;
using Microsoft.Extensions.Options;

namespace Ingestion.Lake;

/// <summary>
/// The local folder (<c>{home}/spool/lake/{tenant}/{dataset}/{fileId}</c>) where a worker writes a source's lake files
/// before they are published. The spool is the lake sink's progress: what is in it with a manifest waits to be written,
/// survives a restart, and is written as often as it takes (names are stable, so twice changes nothing).
/// </summary>
public sealed class LakeSpool(IOptions<PlatformOptions> platform, IOptions<LakeOptions> options, FileSinks sinks, TimeProvider clock) : IDisposable
{
    private readonly SemaphoreSlim _ready = new(0);

    public string Root { get; } = Path.Combine(platform.Value.Home, "spool", "lake");

    /// <summary>Begins a source's files, replacing whatever an earlier attempt at it left.</summary>
    internal LakeFileWriter Begin(Dataset dataset, string fileId, DateTimeOffset receivedAt) =>
        new(Path.Combine(Root, dataset.Tenant, dataset.Name, fileId), dataset, dataset.Lake!, fileId, receivedAt, options.Value);

    /// <summary>Begins the lake files of streamed rows rolled together under the name <paramref name="source"/>.</summary>
    internal LakeFileWriter BeginStream(Dataset dataset, string source) =>
        new(Path.Combine(Root, dataset.Tenant, dataset.Name, source), dataset, dataset.Lake!, source, clock.GetUtcNow(), options.Value, stream: true);

    /// <summary>Tells the publisher that something waits.</summary>
    internal void Wake() => _ready.Release();

    /// <summary>Hands a finished source to the publisher, recording it as pending on its file.</summary>
    internal async Task CompleteAsync(LakeFileWriter writer, CancellationToken ct)
    {
        var manifest = await writer.CompleteAsync(ct);
        await sinks.SaveAsync(manifest.SinkRecord(SinkStatus.Pending, 0, null, clock.GetUtcNow()), ct);
        _ready.Release();
    }

    /// <summary>Waits until a source is handed over or <paramref name="timeout"/> passes.</summary>
    internal Task WaitAsync(TimeSpan timeout, CancellationToken ct) => _ready.WaitAsync(timeout, ct);

    /// <summary>The manifests waiting in the spool, oldest first; each with its folder.</summary>
    internal IEnumerable<(LakeManifest Manifest, string Folder)> Waiting()
    {
        if (!Directory.Exists(Root))
        {
            yield break;
        }

        foreach (var path in new DirectoryInfo(Root).EnumerateFiles(LakeManifest.FileName, new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 3 })
                     .OrderBy(f => f.LastWriteTimeUtc).Select(f => f.FullName))
        {
            LakeManifest? manifest;
            try
            {
                manifest = JsonSerializer.Deserialize<LakeManifest>(File.ReadAllBytes(path));
            }
            catch (Exception e) when (e is IOException or JsonException)
            {
                continue;
            }

            if (manifest is not null)
            {
                yield return (manifest, Path.GetDirectoryName(path)!);
            }
        }
    }

    public void Dispose() => _ready.Dispose();

    /// <summary>Removes a tenant's spooled files.</summary>
    internal void DeleteTenant(string tenant)
    {
        var folder = Path.Combine(Root, tenant);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
