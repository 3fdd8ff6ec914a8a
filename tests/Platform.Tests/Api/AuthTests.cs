using System.IdentityModel.Tokens.Jwt;
using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using Platform.Api.Auth;

namespace Platform.Tests.Api;

public sealed class AuthTests : IAsyncLifetime
{
    private PlatformHost _host = null!;

    public async Task InitializeAsync() => _host = await PlatformHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private byte[] SigningKey => _host.Services.GetRequiredService<PlatformSecrets>().SigningKey;

    private static string Mint(byte[] key, string algorithm = SecurityAlgorithms.HmacSha256, string issuer = "mysimbdp",
        string audience = "mysimbdp-api", DateTime? expires = null, string role = "admin", string? tenant = null, SecurityKey? signing = null)
    {
        var claims = new List<Claim> { new("sub", tenant ?? "admin"), new("role", role) };
        if (tenant is not null)
        {
            claims.Add(new Claim("tenant", tenant));
        }

        var exp = expires ?? DateTime.UtcNow.AddMinutes(10);
        var token = new JwtSecurityToken(issuer, audience, claims, exp.AddHours(-1), exp,
            new SigningCredentials(signing ?? new SymmetricSecurityKey(key), algorithm));
        return new JwtSecurityTokenHandler().WriteToken(token);
    }

    private static string Base64Url(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private async Task<HttpResponseMessage> ListTenantsWith(string token)
    {
        using var http = _host.WithToken(token);
        return await http.GetAsync("/tenants");
    }

    /// <summary>A refused token: 401, RFC 6750's challenge naming the error, and a problem+json body that says why.</summary>
    private static async Task AssertRefused(HttpResponseMessage response, string? why = null)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.StartsWith("error=\"invalid_token\"", challenge.Parameter);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        if (why is not null)
        {
            Assert.Contains(why, challenge.Parameter, StringComparison.OrdinalIgnoreCase);
            Assert.Contains(why, (await response.ReadJsonAsync()).GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>header.payload.signature with a given header, the platform's claims, and an HMAC signature with <paramref name="key"/>.</summary>
    private static string Forge(string header, byte[] key, Func<byte[], byte[], byte[]>? hmac = null)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var signed = Base64Url(header) + "." +
            Base64Url($"{{\"sub\":\"admin\",\"role\":\"admin\",\"iss\":\"mysimbdp\",\"aud\":\"mysimbdp-api\",\"nbf\":{now - 60},\"exp\":{now + 600}}}");
        var signature = (hmac ?? System.Security.Cryptography.HMACSHA256.HashData)(key, Encoding.ASCII.GetBytes(signed));
        return signed + "." + Convert.ToBase64String(signature).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    [Fact]
    public async Task AdminSecretGivesATokenThatListsTenants()
    {
        var response = await ListTenantsWith(await _host.TokenAsync("admin", PlatformHost.AdminSecret));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task TokenResponseFollowsTheContract()
    {
        using var http = _host.Anonymous();
        var response = await http.PostAsJsonAsync("/auth/token", new { client_id = "admin", client_secret = PlatformHost.AdminSecret });
        var json = await response.ReadJsonAsync();
        Assert.Equal("Bearer", json.GetProperty("token_type").GetString());
        Assert.Equal(3600, json.GetProperty("expires_in").GetInt32());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("access_token").GetString()));
    }

    [Fact]
    public async Task FormEncodedClientCredentialsAreAccepted()
    {
        using var http = _host.Anonymous();
        var response = await http.PostAsync("/auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = "admin", ["client_secret"] = PlatformHost.AdminSecret,
        }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>As an OAuth2 client such as Prometheus sends them: HTTP Basic, and only the grant type in the form.</summary>
    [Fact]
    public async Task ClientCredentialsInABasicHeaderAreAccepted()
    {
        using var http = _host.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        request.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + Uri.EscapeDataString(PlatformHost.AdminSecret))));
        var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        request.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:wrong")));
        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/auth/token") { Content = new FormUrlEncodedContent([]) };
        wrong.Headers.Authorization = request.Headers.Authorization;
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong)).StatusCode);
    }

    [Theory]
    [InlineData("admin", "wrong")]
    [InlineData("nobody", "whatever")]
    [InlineData("../etc", "x")]
    public async Task WrongCredentialsAre401(string id, string secret)
    {
        using var http = _host.Anonymous();
        var response = await http.PostAsJsonAsync("/auth/token", new { client_id = id, client_secret = secret });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task MissingCredentialsNameEachField()
    {
        using var http = _host.Anonymous();
        var response = await http.PostAsJsonAsync("/auth/token", new { });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var fields = (await response.ReadJsonAsync()).GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ToList();
        Assert.Equal(["client_id", "client_secret"], fields);
    }

    [Fact]
    public async Task ATokenSignedWithAnotherKeyIs401()
    {
        var response = await ListTenantsWith(Mint(Encoding.UTF8.GetBytes("another-key-that-is-at-least-32-bytes-long!!")));
        await AssertRefused(response, "signature");
    }

    [Fact]
    public async Task AnExpiredTokenIs401()
    {
        var response = await ListTenantsWith(Mint(SigningKey, expires: DateTime.UtcNow.AddMinutes(-5)));
        await AssertRefused(response, "expired");
    }

    [Fact]
    public async Task ATokenForAnotherAudienceIs401()
    {
        var response = await ListTenantsWith(Mint(SigningKey, audience: "someone-else"));
        await AssertRefused(response, "audience");
    }

    [Fact]
    public async Task ATokenFromAnotherIssuerIs401()
    {
        var response = await ListTenantsWith(Mint(SigningKey, issuer: "evil"));
        await AssertRefused(response, "issuer");
    }

    [Fact]
    public async Task AnUnsignedAlgNoneTokenIs401()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var token = Base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." +
            Base64Url($"{{\"sub\":\"admin\",\"role\":\"admin\",\"iss\":\"mysimbdp\",\"aud\":\"mysimbdp-api\",\"nbf\":{now - 60},\"exp\":{now + 600}}}") + ".";
        var response = await ListTenantsWith(token);
        await AssertRefused(response);
    }

    [Fact]
    public async Task ATokenSignedWithTheRightKeyButHs512Is401()
    {
        // IdentityModel will not even sign HS512 with a 256-bit key, so the token is made by hand.
        var response = await ListTenantsWith(Forge("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", SigningKey, System.Security.Cryptography.HMACSHA512.HashData));
        await AssertRefused(response, "signature");
    }

    [Fact]
    public async Task AnRs256TokenIs401()
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var response = await ListTenantsWith(Mint([], SecurityAlgorithms.RsaSha256, signing: new RsaSecurityKey(rsa)));
        await AssertRefused(response, "signature");
    }

    [Fact]
    public async Task AnRs256HeaderSignedWithAPublicKeyAsHmacSecretIs401()
    {
        // The key confusion attack: the "RS256" token is really an HMAC with a public key as its secret.
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var publicKey = Encoding.ASCII.GetBytes(rsa.ExportSubjectPublicKeyInfoPem());
        await AssertRefused(await ListTenantsWith(Forge("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", publicKey)));
        await AssertRefused(await ListTenantsWith(Forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", publicKey)), "signature");
    }

    [Fact]
    public async Task AHandForgedHs256TokenWithThePlatformKeyIsAccepted()
    {
        // The forging helper above is only a fair test if it can make a token the platform accepts.
        Assert.Equal(HttpStatusCode.OK, (await ListTenantsWith(Forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", SigningKey))).StatusCode);
    }

    [Theory]
    [InlineData("not-a-jwt")]
    [InlineData("a.b.c")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.%%%.sig")]
    public async Task AMalformedTokenIs401NotAServerError(string token)
    {
        using var http = _host.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/tenants");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        var response = await http.SendAsync(request);
        await AssertRefused(response);
    }

    [Fact]
    public async Task NoTokenIs401WithAProblemBody()
    {
        using var http = _host.Anonymous();
        var response = await http.GetAsync("/tenants/anyone/files");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).ToString());
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task ATenantCannotReachAnotherTenantsRoutes()
    {
        using var a = await _host.TenantAsync("tenant_a");
        using var b = await _host.TenantAsync("tenant_b");
        foreach (var path in new[] { "/tenants/tenant_b/files", "/tenants/tenant_b/datasets", "/tenants/tenant_b/agreement", "/tenant/tenant_b", "/tenants/tenant_b" })
        {
            var response = await a.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{path}: {response.StatusCode}");
        }

        var upload = await a.PostAsync("/upload-file/tenant_b", new MultipartFormDataContent { { new StringContent("x"), "file", "x.csv" } });
        Assert.Equal(HttpStatusCode.Forbidden, upload.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await b.GetAsync("/tenants/tenant_b/files")).StatusCode);
    }

    [Fact]
    public async Task ATenantForgingAnotherTenantsClaimWithoutTheKeyIs401()
    {
        var forged = Mint(Encoding.UTF8.GetBytes("not-the-platform-key-but-long-enough-anyway"), role: "tenant", tenant: "victim");
        using var http = _host.WithToken(forged);
        await AssertRefused(await http.GetAsync("/tenants/victim/files"), "signature");
    }

    [Fact]
    public async Task ATenantTokenCannotUseAdminRoutes()
    {
        using var tenant = await _host.TenantAsync("plain_tenant");
        Assert.Equal(HttpStatusCode.Forbidden, (await tenant.GetAsync("/tenants")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await tenant.PostAsJsonAsync("/tenants", new { id = "sneaky" })).StatusCode);
    }

    [Fact]
    public async Task AdminsReachEveryTenantAndUnknownTenantsAre404()
    {
        using var tenant = await _host.TenantAsync("visible");
        using var admin = await _host.AdminAsync();
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/tenants/visible/files")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/tenants/ghost/files")).StatusCode);
    }

    [Fact]
    public async Task RotatingASecretRetiresTheOldOne()
    {
        using var admin = await _host.AdminAsync();
        var created = await (await admin.PostAsJsonAsync("/tenants", new { id = "rotating" })).ReadJsonAsync();
        var old = created.GetProperty("client_secret").GetString()!;
        var rotated = await (await admin.PostAsync("/tenants/rotating/secret", null)).ReadJsonAsync();
        var fresh = rotated.GetProperty("client_secret").GetString()!;
        using var http = _host.Anonymous();
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsJsonAsync("/auth/token", new { client_id = "rotating", client_secret = old })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync("/auth/token", new { client_id = "rotating", client_secret = fresh })).StatusCode);
    }

    [Fact]
    public async Task ATenantsTokensDieWithTheSecretTheyWereIssuedFor()
    {
        using var admin = await _host.AdminAsync();
        var created = await (await admin.PostAsJsonAsync("/tenants", new { id = "revoked" })).ReadJsonAsync();
        using var before = _host.WithToken(await _host.TokenAsync("revoked", created.GetProperty("client_secret").GetString()!));
        Assert.Equal(HttpStatusCode.OK, (await before.GetAsync("/tenants/revoked/files")).StatusCode);

        var rotated = await (await admin.PostAsync("/tenants/revoked/secret", null)).ReadJsonAsync();
        await AssertRefused(await before.GetAsync("/tenants/revoked/files"), "revoked");
        using var after = _host.WithToken(await _host.TokenAsync("revoked", rotated.GetProperty("client_secret").GetString()!));
        Assert.Equal(HttpStatusCode.OK, (await after.GetAsync("/tenants/revoked/files")).StatusCode);
    }

    [Fact]
    public async Task FailedLoginsAreThrottledPerClientIdEvenForTheRightSecret()
    {
        using var admin = await _host.AdminAsync();
        var secret = (await (await admin.PostAsJsonAsync("/tenants", new { id = "guessed" })).ReadJsonAsync()).GetProperty("client_secret").GetString();
        using var http = _host.Anonymous();
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsJsonAsync("/auth/token", new { client_id = "guessed", client_secret = "guess" + i })).StatusCode);
        }

        var refused = await http.PostAsJsonAsync("/auth/token", new { client_id = "guessed", client_secret = secret });
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.InRange(int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync("/auth/token", new { client_id = "admin", client_secret = PlatformHost.AdminSecret })).StatusCode);
    }

    [Fact]
    public async Task FailedLoginsAreThrottledPerAddressAcrossClientIds()
    {
        using var http = _host.Anonymous();
        for (var i = 0; i < 30; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsJsonAsync("/auth/token", new { client_id = "nobody_" + i, client_secret = "x" })).StatusCode);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, (await http.PostAsJsonAsync("/auth/token", new { client_id = "admin", client_secret = PlatformHost.AdminSecret })).StatusCode);
    }

    [Fact]
    public async Task AnAdminSecretShorterThan32CharactersRefusesToStartWithTheReason()
    {
        var home = Directory.CreateTempSubdirectory("short-secret-").FullName;
        var output = new System.Text.StringBuilder();
        using var process = ChildHost.StartService("Platform.Api.dll", home, new Dictionary<string, string> { ["MYSIMBDP_ADMIN_SECRET"] = "too-short" },
            line => { lock (output) { output.AppendLine(line); } }, "--urls", "http://127.0.0.1:0");
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), "the platform started with a 9-character admin secret");
        Assert.NotEqual(0, process.ExitCode);
        process.WaitForExit();
        lock (output)
        {
            Assert.Contains("has 9 characters; it needs at least 32", output.ToString());
        }

        Directory.Delete(home, recursive: true);
    }

    [Theory]
    [InlineData("admin")]
    [InlineData("root")]
    [InlineData("mysimbdp")]
    public async Task ReservedTenantIdsAreRefused(string id)
    {
        using var admin = await _host.AdminAsync();
        var response = await admin.PostAsJsonAsync("/tenants", new { id });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.ReadJsonAsync()).GetProperty("errors")[0];
        Assert.Equal(("id", "reserved"), (error.GetProperty("field").GetString(), error.GetProperty("rule").GetString()));
    }

    [Theory]
    [InlineData("UPPER")]
    [InlineData("has-dash")]
    [InlineData("")]
    [InlineData("a_name_that_is_longer_than_32_chars")]
    public async Task TenantIdsFollowTheRule(string id)
    {
        using var admin = await _host.AdminAsync();
        var response = await admin.PostAsJsonAsync("/tenants", new { id });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.ReadJsonAsync()).GetProperty("errors")[0];
        Assert.Equal("id", error.GetProperty("field").GetString());
    }

    [Fact]
    public async Task CreatingATenantTwiceIs409()
    {
        using var admin = await _host.AdminAsync();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/tenants", new { id = "twice" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync("/tenants", new { id = "twice" })).StatusCode);
    }
}
