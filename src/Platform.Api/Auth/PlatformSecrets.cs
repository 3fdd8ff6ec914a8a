using System.Security.Cryptography;
using Catalog;
using Microsoft.Extensions.Options;

namespace Platform.Api.Auth;

/// <summary>
/// The admin secret and the token signing key: from configuration when given, otherwise generated once
/// into files under the platform home (mode 0600) so that a restart keeps them.
/// </summary>
public sealed class PlatformSecrets
{
    public PlatformSecrets(IOptions<AuthOptions> auth, IOptions<PlatformOptions> platform, ILogger<PlatformSecrets> logger)
    {
        var home = platform.Value.Home;
        Directory.CreateDirectory(home);
        if (auth.Value.AdminSecret.Length > 0)
        {
            if (auth.Value.AdminSecret.Length < AuthOptions.MinAdminSecretLength)
            {
                throw new OptionsValidationException(AuthOptions.Section, typeof(AuthOptions),
                    [$"The admin secret (MYSIMBDP_ADMIN_SECRET or Auth:AdminSecret) has {auth.Value.AdminSecret.Length} characters; it needs at least {AuthOptions.MinAdminSecretLength}. Leave it unset to have one generated into {Path.GetFullPath(Path.Combine(home, "admin.secret"))}."]);
            }

            AdminSecret = auth.Value.AdminSecret;
        }
        else
        {
            var path = Path.GetFullPath(Path.Combine(home, "admin.secret"));
            AdminSecret = HomeFiles.ReadOrCreate(path, () => "msa_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24))).Trim();
            logger.LogInformation("Admin secret is in {AdminSecretPath} (set MYSIMBDP_ADMIN_SECRET to choose one)", path);
        }

        SigningKey = auth.Value.SigningKey.Length > 0
            ? Convert.FromBase64String(auth.Value.SigningKey)
            : Convert.FromBase64String(HomeFiles.ReadOrCreate(Path.Combine(home, "signing.key"), () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))).Trim());
        if (SigningKey.Length < 32)
        {
            throw new OptionsValidationException(AuthOptions.Section, typeof(AuthOptions), ["Auth:SigningKey must be at least 32 bytes (base64)"]);
        }
    }

    public string AdminSecret { get; }

    public byte[] SigningKey { get; }
}
