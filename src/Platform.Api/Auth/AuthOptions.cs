namespace Platform.Api.Auth;

/// <summary>Token settings (section <c>Auth</c>). <c>MYSIMBDP_ADMIN_SECRET</c> sets <see cref="AdminSecret"/>.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    public string Issuer { get; set; } = "mysimbdp";

    public string Audience { get; set; } = "mysimbdp-api";

    public int TokenLifetimeMinutes { get; set; } = 60;

    /// <summary>
    /// The admin's secret, at least <see cref="MinAdminSecretLength"/> characters; when empty, one is generated into
    /// <c>{home}/admin.secret</c> on first start.
    /// </summary>
    public string AdminSecret { get; set; } = "";

    public const int MinAdminSecretLength = 32;

    /// <summary>Failed logins per client id per minute before that id is refused with 429 until the minute ends.</summary>
    public int FailedLoginsPerClientPerMinute { get; set; } = 10;

    /// <summary>Failed logins per client address per minute before that address is refused with 429.</summary>
    public int FailedLoginsPerAddressPerMinute { get; set; } = 30;

    /// <summary>The HS256 key, base64 (at least 32 bytes). When empty, one is generated into <c>{home}/signing.key</c>.
    /// Replicas of the API in cluster mode must share it.</summary>
    public string SigningKey { get; set; } = "";
}
