namespace Platform.Api.Auth;

/// <summary>Token settings (section <c>Auth</c>). <c>MYSIMBDP_ADMIN_SECRET</c> sets <see cref="AdminSecret"/>.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    public string Issuer { get; set; } = "mysimbdp";

    public string Audience { get; set; } = "mysimbdp-api";

    public int TokenLifetimeMinutes { get; set; } = 60;

    /// <summary>The admin's secret; when empty, one is generated into <c>{home}/admin.secret</c> on first start.</summary>
    public string AdminSecret { get; set; } = "";

    /// <summary>The HS256 key, base64 (at least 32 bytes). When empty, one is generated into <c>{home}/signing.key</c>.
    /// Replicas of the API in cluster mode must share it.</summary>
    public string SigningKey { get; set; } = "";
}
