using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Ingestion.Lake;

/// <summary>
/// The lake in an S3-compatible store, addressed path-style (MinIO and the like need it). A put is one PUT of the whole
/// file, which S3 makes visible at once; lake files are at most <see cref="LakeOptions.RollBytes"/>, well within one PUT.
/// </summary>
public sealed class S3LakeStore : ILakeStore, IDisposable
{
    private readonly AmazonS3Client _client;
    private readonly S3LakeOptions _options;

    public S3LakeStore(S3LakeOptions options)
    {
        _options = options;
        var config = new AmazonS3Config
        {
            ForcePathStyle = true,
            AuthenticationRegion = options.Region,

            // Checksums only where S3 requires them: stores such as s3rver take neither trailing checksums nor chunked uploads.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = 2,
            Timeout = TimeSpan.FromSeconds(60),
        };
        if (options.ServiceUrl.Length > 0)
        {
            config.ServiceURL = options.ServiceUrl;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region);
        }

        // Without keys in the settings, the SDK's own chain finds them (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, a role).
        _client = options.AccessKey.Length > 0 ? new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config) : new AmazonS3Client(config);
    }

    public async Task PutAsync(string key, string localPath, CancellationToken ct) =>
        await _client.PutObjectAsync(new PutObjectRequest { BucketName = _options.Bucket, Key = _options.Prefix + key, FilePath = localPath, UseChunkEncoding = false }, ct);

    public async Task<IReadOnlyList<LakeObject>> ListAsync(string prefix, CancellationToken ct)
    {
        var found = new List<LakeObject>();
        var request = new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = _options.Prefix + prefix };
        ListObjectsV2Response page;
        do
        {
            page = await _client.ListObjectsV2Async(request, ct);
            found.AddRange((page.S3Objects ?? []).Where(o => !Path.GetFileName(o.Key).StartsWith('.'))
                .Select(o => new LakeObject(o.Key[_options.Prefix.Length..], o.Size ?? 0, o.LastModified is { } at ? new DateTimeOffset(at.ToUniversalTime()) : default)));
            request.ContinuationToken = page.NextContinuationToken;
        }
        while (page.IsTruncated == true);

        return found.OrderBy(o => o.Key, StringComparer.Ordinal).ToList();
    }

    public async Task DeleteAsync(IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        foreach (var key in keys)
        {
            await _client.DeleteObjectAsync(_options.Bucket, _options.Prefix + key, ct);
        }
    }

    public async Task<LocalCopy> LocalAsync(string prefix, CancellationToken ct)
    {
        var copy = new LocalCopy(Directory.CreateTempSubdirectory("mysimbdp-lake-").FullName, temporary: true);
        try
        {
            foreach (var found in await ListAsync(prefix, ct))
            {
                var path = Path.Combine(copy.Folder, found.Key[prefix.Length..]);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                using var response = await _client.GetObjectAsync(_options.Bucket, _options.Prefix + found.Key, ct);
                await using var file = File.Create(path);
                await response.ResponseStream.CopyToAsync(file, ct);
            }

            return copy;
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }

    public void Dispose() => _client.Dispose();
}
