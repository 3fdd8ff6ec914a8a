namespace Ingestion.Lake;

/// <summary>The lake's key layout, in one place.</summary>
public static class LakeKeys
{
    /// <summary>Where a dataset's files are: <c>{tenant}/{dataset}/</c>, below which come its partitions.</summary>
    public static string Prefix(string tenant, string dataset) => $"{tenant}/{dataset}/";
}

/// <summary>An object in the lake: its key (<c>{tenant}/{dataset}/date=.../hour=.../{name}.parquet</c>), size and time written.</summary>
public sealed record LakeObject(string Key, long Bytes, DateTimeOffset Modified);

/// <summary>
/// Where the lake's files live. Keys are '/'-separated and always begin with the tenant's id, which only the platform
/// chooses. A put is atomic: a reader sees the whole object or none.
/// </summary>
public interface ILakeStore
{
    /// <summary>Stores a local file under <paramref name="key"/>, replacing an object of that key.</summary>
    Task PutAsync(string key, string localPath, CancellationToken ct);

    /// <summary>The objects whose keys start with <paramref name="prefix"/>, in key order.</summary>
    Task<IReadOnlyList<LakeObject>> ListAsync(string prefix, CancellationToken ct);

    /// <summary>Deletes the objects of these keys (absent ones are no error).</summary>
    Task DeleteAsync(IReadOnlyCollection<string> keys, CancellationToken ct);

    /// <summary>
    /// A local folder holding the objects below <paramref name="prefix"/> (as files named by the rest of their keys), to
    /// read them where they are, or a copy of them. The copy is removed when the result is disposed.
    /// </summary>
    Task<LocalCopy> LocalAsync(string prefix, CancellationToken ct);
}

/// <summary>A folder of lake files: the lake's own folder, or a temporary copy deleted on dispose.</summary>
public sealed class LocalCopy(string folder, bool temporary) : IDisposable
{
    public string Folder { get; } = folder;

    public void Dispose()
    {
        if (temporary && Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }
}

/// <summary>The lake as a folder (embedded mode): a put copies next to the target under a hidden name, then renames.</summary>
public sealed class LocalLakeStore(string root) : ILakeStore
{
    public string Root { get; } = Path.GetFullPath(root);

    public async Task PutAsync(string key, string localPath, CancellationToken ct)
    {
        var target = PathOf(key);
        var folder = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(folder);

        // Hidden ('.'-prefixed) until whole, so that readers globbing *.parquet never open a file being written.
        var temporary = Path.Combine(folder, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var source = new FileStream(localPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan))
            await using (var copy = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await source.CopyToAsync(copy, ct);
                copy.Flush(flushToDisk: true);
            }

            File.Move(temporary, target, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public Task<IReadOnlyList<LakeObject>> ListAsync(string prefix, CancellationToken ct)
    {
        var folder = PathOf(prefix.TrimEnd('/'));
        if (!Directory.Exists(folder))
        {
            return Task.FromResult<IReadOnlyList<LakeObject>>([]);
        }

        IReadOnlyList<LakeObject> found = new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories)
            .Where(f => !f.Name.StartsWith('.'))
            .Select(f => new LakeObject(Path.GetRelativePath(Root, f.FullName).Replace(Path.DirectorySeparatorChar, '/'), f.Length, f.LastWriteTimeUtc))
            .OrderBy(o => o.Key, StringComparer.Ordinal)
            .ToList();
        return Task.FromResult(found);
    }

    public Task DeleteAsync(IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        foreach (var key in keys)
        {
            var path = PathOf(key);
            File.Delete(path);

            // Partition folders left empty go too, up to the dataset's folder.
            for (var folder = Path.GetDirectoryName(path); folder is not null && folder.Length > Root.Length && IsEmpty(folder); folder = Path.GetDirectoryName(folder))
            {
                Directory.Delete(folder);
            }
        }

        return Task.CompletedTask;
    }

    public Task<LocalCopy> LocalAsync(string prefix, CancellationToken ct) => Task.FromResult(new LocalCopy(PathOf(prefix.TrimEnd('/')), temporary: false));

    /// <summary>The path of a key, refusing any key that would leave the root.</summary>
    public string PathOf(string key)
    {
        var path = Path.GetFullPath(Path.Combine(Root, key));
        return path.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || path == Root
            ? path : throw new ArgumentException($"The lake key '{key}' leaves the lake's root.", nameof(key));
    }

    private static bool IsEmpty(string folder) => Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any();
}
