using System.Diagnostics;

namespace Platform.Tests.Faults;

/// <summary>A test that needs a small file system it can fill: a tmpfs mounted for it, which takes root.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (Environment.UserName != "root")
        {
            Skip = "needs root, to mount a small tmpfs it can fill (CI runs as root)";
        }
    }
}

/// <summary>
/// A tmpfs of a few MB mounted in a temp folder, and a filler file that takes its room on demand: disk full for real,
/// with the kernel's ENOSPC, without touching the machine's own disks.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    private SmallDisk(string path) => Path = path;

    public string Path { get; }

    private string Filler => System.IO.Path.Combine(Path, "filler");

    public static SmallDisk Mount(int megabytes)
    {
        var path = Directory.CreateTempSubdirectory("small-disk-").FullName;
        Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", path);
        return new SmallDisk(path);
    }

    /// <summary>Takes all the room but <paramref name="leaveBytes"/>.</summary>
    public void Fill(long leaveBytes = 0)
    {
        Free();
        var free = new DriveInfo(Path).AvailableFreeSpace - leaveBytes;
        using var filler = new FileStream(Filler, FileMode.Create, FileAccess.Write);
        var chunk = new byte[64 * 1024];
        try
        {
            for (long written = 0; written < free; written += chunk.Length)
            {
                filler.Write(chunk, 0, (int)Math.Min(chunk.Length, free - written));
            }

            filler.Flush(flushToDisk: true);
        }
        catch (IOException)
        {
            // Full already.
        }
    }

    public void Free() => File.Delete(Filler);

    public void Dispose()
    {
        Run("umount", "-l", Path);
        Directory.Delete(Path, recursive: true);
    }

    private static void Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {error}");
        }
    }
}
