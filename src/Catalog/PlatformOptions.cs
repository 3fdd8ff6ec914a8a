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

    public string StagingDirectory => Path.Combine(Home, "staging");

    public string CoredmsDirectory => Path.Combine(Home, "coredms");

    public bool IsEmbedded => Mode == "embedded";
}

/// <summary>The platform's environment variables, mapped onto configuration keys.</summary>
public static class PlatformEnvironment
{
    /// <summary>
    /// Maps <c>MYSIMBDP_HOME</c> to <c>Platform:Home</c> and <c>MYSIMBDP_ADMIN_SECRET</c> to <c>Auth:AdminSecret</c>,
    /// under any command-line or ASP.NET-style settings given explicitly.
    /// </summary>
    public static void AddPlatformEnvironment(this Microsoft.Extensions.Configuration.IConfigurationManager configuration)
    {
        var mapped = new Dictionary<string, string?>();
        if (Environment.GetEnvironmentVariable("MYSIMBDP_HOME") is { Length: > 0 } home && configuration["Platform:Home"] is null)
        {
            mapped["Platform:Home"] = home;
        }

        if (Environment.GetEnvironmentVariable("MYSIMBDP_ADMIN_SECRET") is { Length: > 0 } secret && configuration["Auth:AdminSecret"] is null)
        {
            mapped["Auth:AdminSecret"] = secret;
        }

        Microsoft.Extensions.Configuration.MemoryConfigurationBuilderExtensions.AddInMemoryCollection(configuration, mapped);
    }
}
