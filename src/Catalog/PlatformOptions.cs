namespace Catalog;

/// <summary>Platform-wide settings (section <c>Platform</c>); <c>MYSIMBDP_HOME</c> sets <see cref="Home"/>.</summary>
public sealed class PlatformOptions
{
    public const string Section = "Platform";

    /// <summary>Where the platform keeps its data: coredms files, staging folders, secrets, logs.</summary>
    public string Home { get; set; } = ".mysimbdp";

    /// <summary><c>embedded</c>: the API process also runs the batch and stream managers. <c>cluster</c>: each runs alone.</summary>
    public string Mode { get; set; } = "embedded";

    /// <summary>Below this much free space where <see cref="Home"/> lives, <c>/healthz</c> reports the platform degraded.</summary>
    public long MinFreeMb { get; set; } = 256;

    /// <summary>The largest <c>max_file_size_mb</c> a data configuration may ask for.</summary>
    public int MaxFileSizeMb { get; set; } = 4096;

    /// <summary>
    /// The key (base64 of 32 bytes) that seals tenants' database passwords in the catalog; when empty, one is generated
    /// into <c>{Home}/secrets.key</c>. In cluster mode every process needs the same key: set <c>MYSIMBDP_SECRETS_KEY</c>.
    /// </summary>
    public string SecretsKey { get; set; } = "";

    public string StagingDirectory => Path.Combine(Home, "staging");

    public string CoredmsDirectory => Path.Combine(Home, "coredms");

    public bool IsEmbedded => Mode == "embedded";
}

/// <summary>The platform's environment variables, mapped onto configuration keys: the one place they are read.</summary>
public static class PlatformEnvironment
{
    /// <summary>Each variable and the setting it gives.</summary>
    public static readonly IReadOnlyDictionary<string, string> Variables = new Dictionary<string, string>
    {
        ["MYSIMBDP_HOME"] = "Platform:Home",
        ["MYSIMBDP_ADMIN_SECRET"] = "Auth:AdminSecret",
        ["MYSIMBDP_SECRETS_KEY"] = "Platform:SecretsKey",
        ["MYSIMBDP_CASSANDRA"] = "Coredms:Cassandra:ContactPoints",
        ["MYSIMBDP_KAFKA"] = "Transport:Kafka:BootstrapServers",
        ["MYSIMBDP_ELASTICSEARCH"] = "Logs:Elasticsearch:Url",
        ["MYSIMBDP_LAKE_S3_URL"] = "Lake:S3:ServiceUrl",
        ["MYSIMBDP_LAKE_S3_BUCKET"] = "Lake:S3:Bucket",
    };

    /// <summary>Maps each set variable of <see cref="Variables"/> to its setting, under any setting given explicitly (command line, appsettings, ASP.NET-style variables).</summary>
    public static void AddPlatformEnvironment(this Microsoft.Extensions.Configuration.IConfigurationManager configuration)
    {
        var mapped = new Dictionary<string, string?>();
        foreach (var (variable, key) in Variables)
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value && string.IsNullOrEmpty(configuration[key]))
            {
                mapped[key] = value;
            }
        }

        Microsoft.Extensions.Configuration.MemoryConfigurationBuilderExtensions.AddInMemoryCollection(configuration, mapped);
    }
}
