using System.Text.Json;
using System.Text.Json.Serialization;

namespace Mysimbdp.Cli;

/// <summary>
/// One login: where the platform is, whose credentials, and the last token they got. The secret is kept so that
/// the CLI can get a new token when the old one expires (as the AWS and gcloud CLIs keep theirs), in a file only
/// its owner can read.
/// </summary>
public sealed class Profile
{
    public string Url { get; set; } = "";

    public string ClientId { get; set; } = "";

    public string ClientSecret { get; set; } = "";

    public string? AccessToken { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }
}

/// <summary>
/// Profiles by name in <c>profiles.json</c> under <c>MYSIMBDP_CONFIG_DIR</c> (default
/// <c>$XDG_CONFIG_HOME/mysimbdp</c> or <c>~/.config/mysimbdp</c>), written whole to a temporary file and renamed,
/// mode 0600.
/// </summary>
public sealed class ProfileStore(string folder)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static ProfileStore FromEnvironment()
    {
        var folder = Environment.GetEnvironmentVariable("MYSIMBDP_CONFIG_DIR");
        if (string.IsNullOrEmpty(folder))
        {
            var config = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
            folder = Path.Combine(string.IsNullOrEmpty(config) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config") : config, "mysimbdp");
        }

        return new ProfileStore(folder);
    }

    public string File => Path.Combine(folder, "profiles.json");

    public Dictionary<string, Profile> Load() =>
        System.IO.File.Exists(File)
            ? JsonSerializer.Deserialize<Dictionary<string, Profile>>(System.IO.File.ReadAllText(File), Json) ?? []
            : [];

    public Profile? Get(string name) => Load().GetValueOrDefault(name);

    public void Save(string name, Profile profile)
    {
        var all = Load();
        all[name] = profile;
        Directory.CreateDirectory(folder);
        var temporary = File + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, all, Json);
        }

        System.IO.File.Move(temporary, File, overwrite: true);
    }
}
