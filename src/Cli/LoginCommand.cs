using System.CommandLine;
using Spectre.Console;

namespace Mysimbdp.Cli;

/// <summary><c>login</c>: checks the credentials against the platform and keeps them, with the token, as a profile.</summary>
public static class LoginCommand
{
    public static Command Create(Func<ParseResult, Session> sessionOf)
    {
        var url = new Option<string>("--url")
        {
            Description = "The platform's API ($MYSIMBDP_URL, else the profile's, else http://127.0.0.1:5080).",
        };
        var clientId = new Option<string?>("--client-id") { Description = "The tenant id (or 'admin'); default: the profile's." };
        var secretStdin = new Option<bool>("--secret-stdin")
        {
            Description = "Read the secret from standard input (else $MYSIMBDP_CLIENT_SECRET; else the profile's).",
        };
        var command = new Command("login", "Log in with a client id and secret; the profile keeps them and renews the token when it expires.")
        {
            url, clientId, secretStdin,
        };
        command.Does(sessionOf, async (p, session, ct) =>
        {
            var existing = session.Profiles.Get(session.ProfileName);
            var secret = p.GetValue(secretStdin) ? (await Console.In.ReadLineAsync(ct))?.Trim()
                : Environment.GetEnvironmentVariable("MYSIMBDP_CLIENT_SECRET") is { Length: > 0 } s ? s
                : existing?.ClientSecret;
            var profile = new Profile
            {
                Url = p.GetValue(url) ?? (Environment.GetEnvironmentVariable("MYSIMBDP_URL") is { Length: > 0 } u ? u : existing?.Url ?? "http://127.0.0.1:5080"),
                ClientId = p.GetValue(clientId) ?? existing?.ClientId ?? throw new CliException(ExitCodes.Usage, "--client-id is required for a new profile"),
                ClientSecret = secret is { Length: > 0 } ? secret : throw new CliException(ExitCodes.Usage, "no secret: pass --secret-stdin or set MYSIMBDP_CLIENT_SECRET"),
            };
            using var client = new PlatformClient(session.Profiles, session.ProfileName, profile);
            await client.LoginAsync(ct);
            if (!session.Json)
            {
                session.Ui.MarkupLineInterpolated($"Logged in to [bold]{profile.Url}[/] as [bold]{profile.ClientId}[/] (profile '{session.ProfileName}', token until {profile.ExpiresAt:u}).");
            }

            return ExitCodes.Succeeded;
        });
        return command;
    }
}
