namespace Platform.Tests.Live;

/// <summary>
/// A test against a real server (Kafka, Cassandra, Elasticsearch) named by an environment variable; without
/// it the test is reported as skipped, saying what to set, never as passed.
/// </summary>
public sealed class LiveFactAttribute : FactAttribute
{
    public LiveFactAttribute(string variable)
    {
        Variable = variable;
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable)))
        {
            Skip = $"live suite: set {variable} to run it against a real server (compose/ starts one)";
        }
    }

    public string Variable { get; }

    public static string Value(string variable) =>
        Environment.GetEnvironmentVariable(variable) ?? throw new InvalidOperationException(variable + " is not set.");

    /// <summary>Runs one test of a contract suite on a fresh instance, with its set-up and clean-up around it.</summary>
    public static async Task RunAsync<TContract>(Func<TContract, Task> test)
        where TContract : IAsyncLifetime, new()
    {
        var contract = new TContract();
        await contract.InitializeAsync();
        try
        {
            await test(contract);
        }
        finally
        {
            await contract.DisposeAsync();
        }
    }
}
