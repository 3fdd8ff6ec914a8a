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
}
