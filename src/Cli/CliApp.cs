using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace Mysimbdp.Cli;

/// <summary>What every command gets: where to write, the profiles, and the global options as given.</summary>
public sealed record Session(IAnsiConsole Ui, TextWriter Error, ProfileStore Profiles, string ProfileName, string? Tenant, bool Json)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The tenant the command acts for: <c>--tenant</c>, else the profile's client id.</summary>
    public string TenantOf(PlatformClient client) => Tenant ?? client.Profile.ClientId;

    /// <summary>A document as JSON on standard output, untouched by markup or wrapping.</summary>
    public void WriteJson(JsonElement element) => Ui.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(element, Indented));

    /// <summary>One JSON document per line (<c>logs --follow --json</c>).</summary>
    public void WriteJsonLine(JsonElement element) => Ui.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(element));

    public PlatformClient Connect() =>
        Profiles.Get(ProfileName) is { } profile
            ? new PlatformClient(Profiles, ProfileName, profile)
            : throw new CliException(ExitCodes.Usage, $"no profile '{ProfileName}': run 'mysimbdp login --profile {ProfileName} --url URL --client-id ID' first");
}

/// <summary>The command tree. <see cref="RunAsync"/> is Main with its console and error writer given, so tests can run it in-process.</summary>
public static class CliApp
{
    private static readonly Option<string> ProfileOption = new("--profile")
    {
        Description = "The login to use ($MYSIMBDP_PROFILE, else 'default').",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("MYSIMBDP_PROFILE") is { Length: > 0 } p ? p : "default",
    };

    private static readonly Option<string?> TenantOption = new("--tenant")
    {
        Description = "The tenant to act for (default: the profile's client id; an admin profile names one).",
        Recursive = true,
    };

    private static readonly Option<bool> JsonOption = new("--json")
    {
        Description = "Print the platform's JSON instead of tables (for scripts).",
        Recursive = true,
    };

    public static async Task<int> Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        var ui = AnsiConsole.Console;
        if (Console.IsOutputRedirected)
        {
            // Piped or captured: tables as wide as $COLUMNS says, else wide enough not to wrap ids and messages.
            ui.Profile.Width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 0 ? columns : 240;
        }

        return await RunAsync(args, ui, Console.Error, ProfileStore.FromEnvironment(), cancel.Token);
    }

    public static Task<int> RunAsync(string[] args, IAnsiConsole ui, TextWriter error, ProfileStore profiles, CancellationToken ct)
    {
        var root = new RootCommand("mysimbdp: a tenant's command line for the mysimbdp ingestion platform.")
        {
            ProfileOption, TenantOption, JsonOption,
        };
        Session SessionOf(ParseResult p) => new(ui, error, profiles, p.GetValue(ProfileOption)!, p.GetValue(TenantOption), p.GetValue(JsonOption));

        root.Subcommands.Add(LoginCommand.Create(SessionOf));
        root.Subcommands.Add(TenantCommands.Datasets(SessionOf));
        root.Subcommands.Add(TenantCommands.Agreement(SessionOf));
        root.Subcommands.Add(TenantCommands.Connections(SessionOf));
        root.Subcommands.Add(UploadCommand.Create(SessionOf));
        root.Subcommands.Add(IngestCommand.Create(SessionOf));
        root.Subcommands.Add(TenantCommands.Files(SessionOf));
        root.Subcommands.Add(TenantCommands.Runs(SessionOf));
        root.Subcommands.Add(TenantCommands.Quarantine(SessionOf));
        root.Subcommands.Add(TenantCommands.Rows(SessionOf));
        root.Subcommands.Add(DataCommands.Delete(SessionOf));
        root.Subcommands.Add(DataCommands.Truncate(SessionOf));
        root.Subcommands.Add(DataCommands.Replay(SessionOf));
        root.Subcommands.Add(DataCommands.Lake(SessionOf));
        root.Subcommands.Add(LogsCommand.Create(SessionOf));
        root.Subcommands.Add(TenantCommands.Usage(SessionOf));
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = ui.Profile.Out.Writer, Error = error }, ct);
    }

    /// <summary>
    /// A command's action: runs <paramref name="body"/> with a session and turns a <see cref="CliException"/>
    /// into its message on standard error and its exit code, and Ctrl-C into 130.
    /// </summary>
    public static void Does(this Command command, Func<ParseResult, Session> sessionOf, Func<ParseResult, Session, CancellationToken, Task<int>> body) =>
        command.SetAction(async (parse, ct) =>
        {
            var session = sessionOf(parse);
            try
            {
                return await body(parse, session, ct);
            }
            catch (CliException e)
            {
                await session.Error.WriteLineAsync($"mysimbdp {command.Name}: {e.Message}");
                return e.ExitCode;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return 130;
            }
        });
}
