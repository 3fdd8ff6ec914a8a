using System.Diagnostics;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Mysimbdp.Tests.Oracles;

namespace Platform.Tests.Lake;

/// <summary>
/// npm s3rver, the S3 protocol over loopback, as the lake's store: started in a temp folder with one bucket, stopped
/// and started again on the same port and folder to play a store that goes down and comes back.
/// </summary>
public sealed class S3rverStore : IAsyncDisposable
{
    public const string Bucket = "lake";
    public static readonly NodeFixture Oracles = new("lake", "s3rver");

    private readonly string _folder = Directory.CreateTempSubdirectory("mysimbdp-s3rver-").FullName;
    private Process? _process;

    public int Port { get; private set; }

    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>The platform's settings for a lake in this store.</summary>
    public Dictionary<string, string?> Settings => new()
    {
        ["Lake:S3:ServiceUrl"] = Url, ["Lake:S3:Bucket"] = Bucket, ["Lake:S3:AccessKey"] = "S3RVER", ["Lake:S3:SecretKey"] = "S3RVER", ["Lake:RetryMaxSeconds"] = "1",
    };

    public static async Task<S3rverStore> StartAsync()
    {
        var store = new S3rverStore();
        await store.StartAgainAsync();
        return store;
    }

    /// <summary>Starts the server (again, on the port it had, with the objects it held).</summary>
    public async Task StartAgainAsync()
    {
        var start = new ProcessStartInfo("node", ["s3rver.js", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), _folder, Bucket])
        {
            WorkingDirectory = Oracles.Directory, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var line = await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        if (line is null || !line.StartsWith("listening ", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"s3rver did not start: {line} {await _process.StandardError.ReadToEndAsync()}");
        }

        Port = int.Parse(line["listening ".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>A client of the store that is not the platform's, to read what it wrote.</summary>
    public AmazonS3Client Client() => new(new BasicAWSCredentials("S3RVER", "S3RVER"), new AmazonS3Config
    {
        ServiceURL = Url, ForcePathStyle = true, AuthenticationRegion = "us-east-1",
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED, ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    /// <summary>Downloads every object below <paramref name="prefix"/> into a new folder, keeping their keys as paths.</summary>
    public async Task<string> DownloadAsync(string prefix)
    {
        var folder = Directory.CreateTempSubdirectory("mysimbdp-s3-copy-").FullName;
        using var client = Client();
        var listed = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix });
        foreach (var o in listed.S3Objects ?? [])
        {
            using var response = await client.GetObjectAsync(Bucket, o.Key);
            var path = Path.Combine(folder, o.Key);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await using var file = File.Create(path);
            await response.ResponseStream.CopyToAsync(file);
        }

        return folder;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(_folder, recursive: true);
    }
}
