using Catalog.Agreements;

namespace Platform.Tests.CatalogTests;

public sealed class KubernetesQuantityTests
{
    [Theory]
    [InlineData("250m", 0.25)]
    [InlineData("1", 1)]
    [InlineData("0.5", 0.5)]
    [InlineData("2.5", 2.5)]
    [InlineData("1m", 0.001)]
    public void CpuIsCountedInCores(string text, double cores)
    {
        Assert.True(KubernetesQuantity.TryParseCpu(text, out var value, out var error), error);
        Assert.Equal((decimal)cores, value);
    }

    [Theory]
    [InlineData("1Gi", "'Gi' is a memory unit")]
    [InlineData("512M", "'M' is a memory unit")]
    [InlineData("1e3", "'e3' is not a CPU unit")]
    [InlineData("0.1m", "smallest amount is 1m")]
    [InlineData("-1", "expected a non-negative number")]
    [InlineData("one", "expected a non-negative number")]
    [InlineData("", "expected a non-negative number")]
    public void CpuRejectsWhatIsNotACountOfCores(string text, string fragment)
    {
        Assert.False(KubernetesQuantity.TryParseCpu(text, out _, out var error));
        Assert.Contains(fragment, error);
    }

    [Theory]
    [InlineData("512Mi", 536870912)]
    [InlineData("1Gi", 1073741824)]
    [InlineData("1G", 1000000000)]
    [InlineData("128974848", 128974848)]
    [InlineData("129e6", 129000000)]
    [InlineData("1.5Gi", 1610612736)]
    public void MemoryIsCountedInBytes(string text, double bytes)
    {
        Assert.True(KubernetesQuantity.TryParseMemory(text, out var value, out var error), error);
        Assert.Equal((decimal)bytes, value);
    }

    [Theory]
    [InlineData("512MB", "'MB' is not a Kubernetes unit")]
    [InlineData("100m", "fraction of a byte")]
    [InlineData("0.5", "less than one byte")]
    [InlineData("lots", "expected a non-negative number")]
    public void MemoryRejectsWhatIsNotAnAmountOfBytes(string text, string fragment)
    {
        Assert.False(KubernetesQuantity.TryParseMemory(text, out _, out var error));
        Assert.Contains(fragment, error);
    }
}
