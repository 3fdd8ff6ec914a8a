namespace Ingestion.Apps;

/// <summary>A tenant app the platform provides: the command run for it.</summary>
public sealed class AppCommand
{
    public string Command { get; set; } = "";

    public string[] Arguments { get; set; } = [];
}

/// <summary>
/// The apps tenants may name in their agreements (section <c>Apps</c>): name to command. Tenants never give
/// commands themselves. The sample <c>clientbatchingestapp</c> and <c>clientstreamingestapp</c> are added when
/// they were built next to the service and not configured otherwise.
/// </summary>
public sealed class AppsOptions
{
    public const string Section = "Apps";

    public static readonly string[] SampleApps = ["clientbatchingestapp", "clientstreamingestapp"];

    public Dictionary<string, AppCommand> Apps { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The dotnet host running this process (so that sample apps run on the same runtime).</summary>
    public static string DotnetHost() =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

    /// <summary>Adds the sample apps found next to this service, unless configured.</summary>
    public void AddSamples()
    {
        foreach (var (name, dll) in new[] { ("clientbatchingestapp", "ClientBatchIngestApp.dll"), ("clientstreamingestapp", "ClientStreamIngestApp.dll") })
        {
            var path = Path.Combine(AppContext.BaseDirectory, dll);
            if (!Apps.ContainsKey(name) && File.Exists(path))
            {
                Apps[name] = new AppCommand { Command = DotnetHost(), Arguments = ["exec", path] };
            }
        }
    }
}
