namespace Ingestion.Lake;

/// <summary>Where the data lake lives and how its files are cut (section <c>Lake</c>).</summary>
public sealed class LakeOptions
{
    public const string Section = "Lake";

    /// <summary>The lake's folder in embedded mode; <c>{Platform:Home}/lake</c> when empty.</summary>
    public string Root { get; set; } = "";

    /// <summary>A lake file is closed and a new one begun once it holds this many rows...</summary>
    public int RollRows { get; set; } = 1_000_000;

    /// <summary>...or this many bytes.</summary>
    public long RollBytes { get; set; } = 128L * 1024 * 1024;

    /// <summary>The longest wait between two tries to write spooled files to a failing lake.</summary>
    public int RetryMaxSeconds { get; set; } = 30;
}
