namespace Ingestion.Lake;

/// <summary>Where the data lake lives and how its files are cut (section <c>Lake</c>).</summary>
public sealed class LakeOptions
{
    public const string Section = "Lake";

    /// <summary>The lake's folder when no S3 store is set; <c>{Platform:Home}/lake</c> when empty.</summary>
    public string Root { get; set; } = "";

    /// <summary>An S3-compatible store for the lake (cluster mode): used when its bucket is set.</summary>
    public S3LakeOptions S3 { get; set; } = new();

    /// <summary>A lake file is closed and a new one begun once it holds this many rows...</summary>
    public int RollRows { get; set; } = 1_000_000;

    /// <summary>...or this many bytes.</summary>
    public long RollBytes { get; set; } = 128L * 1024 * 1024;

    /// <summary>...or once its oldest streamed rows are this many seconds old (streamed rows only: a file is written whole at once).</summary>
    public int RollSeconds { get; set; } = 60;

    /// <summary>How long the ids of streamed records stay known, so that a record delivered again within it is not written twice.</summary>
    public double StreamDedupHours { get; set; } = 1;

    /// <summary>The longest a tenant's query over its lake may run.</summary>
    public double QuerySeconds { get; set; } = 10;

    /// <summary>Lake queries a process runs at once, in all (each has one thread and up to 256 MB): more are answered 429.</summary>
    public int QueriesInParallel { get; set; } = 2;

    /// <summary>Lake queries one tenant may have running at once.</summary>
    public int QueriesPerTenant { get; set; } = 1;

    /// <summary>The longest wait between two tries to write spooled files to a failing lake.</summary>
    public int RetryMaxSeconds { get; set; } = 30;
}

/// <summary>
/// The S3-compatible store of the lake (section <c>Lake:S3</c>; <c>MYSIMBDP_LAKE_S3_URL</c> sets the endpoint). Buckets and
/// credentials are the platform's: tenants never name them, and every tenant's files live below <c>{Prefix}{tenant}/</c>.
/// </summary>
public sealed class S3LakeOptions
{
    /// <summary>The endpoint (MinIO, s3rver, ...); empty for AWS itself, which <see cref="Region"/> then locates.</summary>
    public string ServiceUrl { get; set; } = "";

    public string Bucket { get; set; } = "";

    public string Region { get; set; } = "us-east-1";

    public string AccessKey { get; set; } = "";

    public string SecretKey { get; set; } = "";

    /// <summary>A key prefix for the whole lake within the bucket (such as <c>lake/</c>), or none.</summary>
    public string Prefix { get; set; } = "";

    public bool IsSet => Bucket.Length > 0;
}
