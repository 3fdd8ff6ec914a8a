using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Avro.Tests;

/// <summary>
/// Runs tests/oracles/avro/oracle.js (npm avsc). The first use installs avsc with <c>npm ci</c> from the
/// committed package-lock, once, under a file lock so that parallel test processes do not collide.
/// </summary>
public static class NodeOracle
{
    private static readonly Lazy<string> Folder = new(Install);

    public static string Directory => Folder.Value;

    private static string Install()
    {
        var folder = FindFolder();
        if (File.Exists(Path.Combine(folder, "node_modules", "avsc", "package.json")))
        {
            return folder;
        }

        using var gate = AcquireLock(Path.Combine(folder, ".install.lock"));
        if (!File.Exists(Path.Combine(folder, "node_modules", "avsc", "package.json")))
        {
            var (exit, output) = Run("npm", ["ci", "--no-audit", "--no-fund"], folder, null, TimeSpan.FromMinutes(5));
            if (exit != 0)
            {
                throw new InvalidOperationException("npm ci for the avsc oracle failed:\n" + output);
            }
        }

        return folder;
    }

    /// <summary>Runs an oracle command with JSON lines on stdin; returns the answer lines.</summary>
    public static List<JsonElement> Call(string command, IEnumerable<object> requests, params string[] args)
    {
        var input = string.Join("\n", requests.Select(r => JsonSerializer.Serialize(r))) + "\n";
        var (exit, output) = Run("node", ["oracle.js", command, .. args], Directory, input, TimeSpan.FromMinutes(2));
        if (exit != 0)
        {
            throw new InvalidOperationException($"oracle {command} failed:\n{output}");
        }

        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }

    private static (int Exit, string Output) Run(string file, string[] args, string directory, string? input, TimeSpan timeout)
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

        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeout}.");
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

    private static string FindFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "oracles", "avro");
            if (File.Exists(Path.Combine(candidate, "oracle.js")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("tests/oracles/avro not found above " + AppContext.BaseDirectory);
    }
}
