using System.Diagnostics;
using System.Text;

namespace Mysimbdp.Tests.Oracles;

/// <summary>
/// A Node.js oracle folder under tests/oracles/{name}: the first use installs its npm packages with
/// <c>npm ci</c> from the committed package-lock, once, under a file lock so that parallel test processes do
/// not collide; then runs its scripts.
/// </summary>
public sealed class NodeFixture(string name, string package)
{
    private readonly Lazy<string> _folder = new(() => Install(name, package));

    public string Directory => _folder.Value;

    /// <summary>Runs <c>node {script} {args}</c> in the folder with <paramref name="input"/> on stdin; returns stdout, or throws with stderr.</summary>
    public string Node(string script, string[] args, string input)
    {
        var (exit, output) = Run("node", [script, .. args], Directory, input);
        return exit == 0 ? output : throw new InvalidOperationException($"node {script} {string.Join(' ', args)} failed:\n{output}");
    }

    private static string Install(string name, string package)
    {
        var folder = FindFolder(name);
        var marker = Path.Combine(folder, "node_modules", package, "package.json");
        if (File.Exists(marker))
        {
            return folder;
        }

        using var gate = AcquireLock(Path.Combine(folder, ".install.lock"));
        if (!File.Exists(marker))
        {
            var (exit, output) = Run("npm", ["ci", "--no-audit", "--no-fund"], folder, null);
            if (exit != 0)
            {
                throw new InvalidOperationException($"npm ci for the {package} oracle failed:\n{output}");
            }
        }

        return folder;
    }

    public static (int Exit, string Output) Run(string file, string[] args, string directory, string? input)
    {
        var start = new ProcessStartInfo(file, args)
        {
            WorkingDirectory = directory,
            RedirectStandardInput = input is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }

        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within 5 minutes.");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static FileStream AcquireLock(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 600)
            {
                Thread.Sleep(500);
            }
        }
    }

    private static string FindFolder(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "oracles", name);
            if (File.Exists(Path.Combine(candidate, "package.json")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"tests/oracles/{name} not found above {AppContext.BaseDirectory}");
    }
}
