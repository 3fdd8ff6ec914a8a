namespace Ingestion.Claims;

/// <summary>File claims (section <c>Claims</c>).</summary>
public sealed class ClaimsOptions
{
    public const string Section = "Claims";

    /// <summary>How long a claim holds without renewal; a worker renews its claims six times per lease.</summary>
    public int LeaseSeconds { get; set; } = 30;

    public TimeSpan Lease => TimeSpan.FromSeconds(LeaseSeconds);

    public TimeSpan RenewEvery => Lease / 6;
}
