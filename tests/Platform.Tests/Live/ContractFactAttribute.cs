using Xunit.Abstractions;
using Xunit.Sdk;

namespace Platform.Tests.Live;

/// <summary>
/// A test of a contract suite (the coredms engines, the stream transports), written once in an abstract class and run
/// by every class that inherits it. In a class marked <see cref="LiveSuiteAttribute"/> it is reported as skipped
/// while the suite's variable is unset, and always for the tests the suite excludes, with the reason it gives.
/// </summary>
[XunitTestCaseDiscoverer("Platform.Tests.Live.ContractFactDiscoverer", "Platform.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class ContractFactAttribute : FactAttribute;

/// <summary>
/// A contract suite run against a real server named by an environment variable (<c>MYSIMBDP_CASSANDRA</c>...).
/// <see cref="Excluded"/> lists the contract tests left out, each as <c>"Method: reason"</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class LiveSuiteAttribute(string variable) : Attribute
{
    public string Variable { get; } = variable;

    public string[] Excluded { get; set; } = [];

    /// <summary>Why a test of <paramref name="method"/>'s class does not run now, or null when it runs.</summary>
    public static string? SkipReason(ITestMethod method)
    {
        var suite = method.TestClass.Class.GetCustomAttributes(typeof(LiveSuiteAttribute)).FirstOrDefault();
        if (suite is null)
        {
            return null;
        }

        var variable = suite.GetConstructorArguments().Cast<string>().Single();
        var excluded = suite.GetNamedArgument<string[]>(nameof(Excluded)) ?? [];
        if (excluded.FirstOrDefault(e => e.StartsWith(method.Method.Name + ":", StringComparison.Ordinal)) is { } exclusion)
        {
            return "excluded from the live suite:" + exclusion[(method.Method.Name.Length + 1)..];
        }

        return string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable))
            ? $"live suite: set {variable} to run it against a real server (compose/ starts one)"
            : null;
    }
}

/// <summary>Finds <see cref="ContractFactAttribute"/> tests, each with the skip reason of the class it runs in.</summary>
public sealed class ContractFactDiscoverer(IMessageSink diagnostics) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        [new ContractTestCase(diagnostics, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod)];
}

/// <summary>A contract test in one class: skipped as <see cref="LiveSuiteAttribute.SkipReason"/> says.</summary>
public sealed class ContractTestCase : XunitTestCase
{
    [Obsolete("For deserialization by the test runner only.")]
    public ContractTestCase()
    {
    }

    public ContractTestCase(IMessageSink diagnostics, TestMethodDisplay display, TestMethodDisplayOptions options, ITestMethod method)
        : base(diagnostics, display, options, method)
    {
    }

    protected override string GetSkipReason(IAttributeInfo factAttribute) => LiveSuiteAttribute.SkipReason(TestMethod) ?? base.GetSkipReason(factAttribute);
}
