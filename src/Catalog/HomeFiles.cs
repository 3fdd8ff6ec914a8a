namespace Catalog;

/// <summary>Secrets the platform generates once into its home, readable by the owner only, so that a restart keeps them.</summary>
public static class HomeFiles
{
    /// <summary>
    /// The text of <paramref name="path"/>, created with <paramref name="create"/> (mode 0600) when there is none yet. Two
    /// processes creating it at once agree on the first one written.
    /// </summary>
    public static string ReadOrCreate(string path, Func<string> create)
    {
        if (File.Exists(path))
        {
            return File.ReadAllText(path);
        }

        var value = create();
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllText(temp, "");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(temp, value + "\n");

        try
        {
            File.Move(temp, path, overwrite: false);
            return value;
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temp);
            return File.ReadAllText(path);
        }
    }
}
