using Microsoft.Extensions.Options;

namespace Catalog.Files;

/// <summary>
/// The staging folders: <c>{home}/staging/{tenant}/in/{dataset}/</c> holds files waiting for ingestion,
/// <c>out/{dataset}/</c> what a tenant's batch app wrote, <c>processed/</c> ingested files until retention
/// removes them, and <c>.incoming/</c> uploads being received. A file appears in <c>in</c> only complete,
/// by a rename on the same file system (write, then rename).
/// </summary>
public sealed class StagingArea(IOptions<PlatformOptions> options)
{
    public string Root { get; } = Path.GetFullPath(options.Value.StagingDirectory);

    public string Tenant(string tenant) => Path.Combine(Root, tenant);

    public string In(string tenant) => Path.Combine(Root, tenant, "in");

    public string In(string tenant, string dataset) => Path.Combine(Root, tenant, "in", dataset);

    public string Out(string tenant) => Path.Combine(Root, tenant, "out");

    public string Processed(string tenant) => Path.Combine(Root, tenant, "processed");

    public string Incoming(string tenant) => Path.Combine(Root, tenant, ".incoming");

    /// <summary>The absolute path of a file recorded relative to its tenant's folder, refusing anything that escapes it.</summary>
    public string Resolve(string tenant, string relative)
    {
        var tenantRoot = Tenant(tenant) + Path.DirectorySeparatorChar;
        var full = Path.GetFullPath(Path.Combine(tenantRoot, relative));
        return full.StartsWith(tenantRoot, StringComparison.Ordinal)
            ? full
            : throw new InvalidOperationException($"Path '{relative}' leaves the staging folder of tenant '{tenant}'.");
    }

    public string Relative(string tenant, string absolute) => Path.GetRelativePath(Tenant(tenant), absolute);
}
