using Catalog.Files;
using Coredms;

namespace Platform.Tests.CatalogTests;

public sealed class NamingTests
{
    [Theory]
    [InlineData("client_a", "tracking", "t8_client_a_tracking")]
    [InlineData("client_a", "Tracking", "t8_client_a_tracking")]
    [InlineData("a_b", "c", "t3_a_b_c")]
    [InlineData("a", "b_c", "t1_a_b_c")]
    public void PhysicalKeyspacesCarryTheTenant(string tenant, string keySpace, string physical) =>
        Assert.Equal(physical, KeyspaceNames.Physical(tenant, keySpace));

    [Fact]
    public void TheMappingIsOneToOneEvenWithUnderscores() =>
        Assert.NotEqual(KeyspaceNames.Physical("a_b", "c"), KeyspaceNames.Physical("a", "b_c"));

    [Fact]
    public void LongNamesAreShortenedDeterministicallyAndStayDistinct()
    {
        var tenant = new string('t', 32);
        var one = KeyspaceNames.Physical(tenant, "analytics_for_the_marketing_department");
        var two = KeyspaceNames.Physical(tenant, "analytics_for_the_marketing_department_v2");

        Assert.Equal(KeyspaceNames.MaxLength, one.Length);
        Assert.True(KeyspaceNames.IsValidIdentifier(one));
        Assert.Equal(one, KeyspaceNames.Physical(tenant, "analytics_for_the_marketing_department"));
        Assert.NotEqual(one, two);
        Assert.StartsWith("t32_" + tenant, one);
    }

    [Fact]
    public void TenantKeyspacesCannotCollideWithThePlatformKeyspace() =>
        Assert.NotEqual(KeyspaceNames.Platform, KeyspaceNames.Physical("mysimbdp", "platform"));

    [Theory]
    [InlineData("data.csv", "data.csv")]
    [InlineData("../../etc/passwd", "passwd")]
    [InlineData("C:\\Users\\x\\data.tsv", "data.tsv")]
    [InlineData(".csv", "upload.csv")]
    [InlineData("...", "upload")]
    [InlineData("", "upload")]
    [InlineData(null, "upload")]
    [InlineData("a\0b.csv", "a_b.csv")]
    [InlineData("with space.csv", "with_space.csv")]
    public void UploadNamesAreMadeSafe(string? original, string safe) => Assert.Equal(safe, FileNames.Sanitize(original));
}
