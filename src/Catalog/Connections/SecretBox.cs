using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Catalog.Connections;

/// <summary>
/// Encrypts the secrets tenants give the platform (their databases' passwords) for the catalog: AES-256-GCM with the
/// platform's key (<c>Platform:SecretsKey</c>, base64 of 32 bytes, or generated once into <c>{home}/secrets.key</c>),
/// a fresh nonce per value, and the owner's name as associated data, so that a value copied to another tenant's row
/// does not decrypt.
/// </summary>
public sealed class SecretBox
{
    private const string Version = "v1:";
    private readonly byte[] _key;

    public SecretBox(IOptions<PlatformOptions> platform)
    {
        var configured = platform.Value.SecretsKey;
        if (configured.Length == 0)
        {
            Directory.CreateDirectory(platform.Value.Home);
            configured = HomeFiles.ReadOrCreate(Path.Combine(platform.Value.Home, "secrets.key"), () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))).Trim();
        }

        _key = Convert.FromBase64String(configured);
        if (_key.Length != 32)
        {
            throw new OptionsValidationException("Platform", typeof(PlatformOptions), ["Platform:SecretsKey must be 32 bytes (base64)"]);
        }
    }

    public string Seal(string secret, string owner)
    {
        var plain = Encoding.UTF8.GetBytes(secret);
        var sealedBytes = new byte[12 + plain.Length + 16];
        RandomNumberGenerator.Fill(sealedBytes.AsSpan(0, 12));
        using var aes = new AesGcm(_key, 16);
        aes.Encrypt(sealedBytes.AsSpan(0, 12), plain, sealedBytes.AsSpan(12, plain.Length), sealedBytes.AsSpan(12 + plain.Length), Encoding.UTF8.GetBytes(owner));
        return Version + Convert.ToBase64String(sealedBytes);
    }

    /// <summary>The secret <see cref="Seal"/> sealed for <paramref name="owner"/>; throws <see cref="CryptographicException"/> for another key or owner.</summary>
    public string Open(string sealedText, string owner)
    {
        if (!sealedText.StartsWith(Version, StringComparison.Ordinal))
        {
            throw new CryptographicException("not a sealed secret");
        }

        var bytes = Convert.FromBase64String(sealedText[Version.Length..]);
        var plain = new byte[bytes.Length - 28];
        using var aes = new AesGcm(_key, 16);
        aes.Decrypt(bytes.AsSpan(0, 12), bytes.AsSpan(12, plain.Length), bytes.AsSpan(12 + plain.Length), plain, Encoding.UTF8.GetBytes(owner));
        return Encoding.UTF8.GetString(plain);
    }
}
