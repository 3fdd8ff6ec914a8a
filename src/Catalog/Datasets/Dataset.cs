using System.Text.Json;
using Mysimbdp.Avro;
using Catalog.Validation;
using Coredms;

namespace Catalog.Datasets;

public enum FileType
{
    Csv,
    Tsv,
    Avro,
}

public enum OnError
{
    /// <summary>Load the good rows, quarantine the bad ones.</summary>
    Continue,

    /// <summary>Load nothing from a file that has any bad row (bad rows are still quarantined).</summary>
    SkipFile,

    /// <summary>Load as you go, and stop once the share of bad rows passes <c>max_error_ratio</c>.</summary>
    Abort,
}

/// <summary>A table of a tenant's database whose changes the dataset captures (<c>source</c>, type <c>postgres_cdc</c>).</summary>
public sealed record DatasetSource(string Type, string Connection, string Table)
{
    /// <summary>The table's schema: the one named, or <c>public</c>.</summary>
    public string SchemaName => Table.Contains('.') ? Table[..Table.IndexOf('.')].ToLowerInvariant() : "public";

    /// <summary>The table's name without its schema.</summary>
    public string TableName => (Table.Contains('.') ? Table[(Table.IndexOf('.') + 1)..] : Table).ToLowerInvariant();
}

/// <summary>Why and since when a dataset takes nothing in (see <see cref="Dataset.Pause"/>).</summary>
public sealed record DatasetPause(DateTimeOffset At, string Reason);

[Flags]
public enum IngestionMode
{
    Batch = 1,
    Stream = 2,
    Both = Batch | Stream,
}

/// <summary>
/// A registered data configuration, resolved: the parsed schema, the physical keyspace and table it maps
/// to, and the rules ingestion applies. Built from a validated <see cref="DataConfigurationDocument"/>.
/// </summary>
public sealed class Dataset
{
    private Dataset(string tenant, string name, JsonElement document, string? tableName, DatasetPause? pause)
    {
        Tenant = tenant;
        Pause = pause;
        Name = name;
        Document = document.Clone();
        var d = document.Deserialize<DataConfigurationDocument>()!;
        FileType = Enum.Parse<FileType>(JsonValues.GetString(d.FileType)!, ignoreCase: true);
        LogicalKeySpace = JsonValues.GetString(d.KeySpace)!;
        FirstRowIsHeader = !JsonValues.TryGetBoolean(d.FirstRowIsHeader, out var header) || header;
        Delimiter = JsonValues.GetString(d.Delimiter) is { Length: 1 } delimiter ? delimiter[0] : FileType == FileType.Tsv ? '\t' : ',';
        Schema = (RecordSchema)Mysimbdp.Avro.Schema.Parse(d.Schema!.Value, DataConfigurationValidator.SchemaOptions);
        PrimaryKey = JsonValues.GetStrings(d.PrimaryKey)!;
        PartitionKey = JsonValues.GetStrings(d.PartitionKey) ?? [PrimaryKey[0]];
        JsonValues.TryGetInteger(d.MaxFileSizeMb, out var mb);
        MaxFileBytes = mb * 1024 * 1024;
        Quality = QualityRules.From(d.Quality);
        Formats = FieldFormats.From(d.Formats);
        OnError = JsonValues.GetString(d.OnError) switch
        {
            "skip_file" => OnError.SkipFile,
            "abort" => OnError.Abort,
            _ => OnError.Continue,
        };
        MaxErrorRatio = JsonValues.TryGetNumber(d.MaxErrorRatio, out var ratio) ? ratio : 0.05;
        Mode = JsonValues.GetString(d.IngestionMode) switch
        {
            "stream" => IngestionMode.Stream,
            "both" => IngestionMode.Both,
            _ => IngestionMode.Batch,
        };
        IsDefault = JsonValues.TryGetBoolean(d.IsDefault, out var isDefault) && isDefault;
        Compatibility = SchemaRule.Parse(JsonValues.GetString(d.Compatibility));
        Source = d.Source is { ValueKind: JsonValueKind.Object } source
            ? new DatasetSource(source.GetProperty("type").GetString()!, source.GetProperty("connection").GetString()!, source.GetProperty("table").GetString()!)
            : null;
        Lake = LakeSink.From(d.Sinks);
        Keyspace = KeyspaceNames.Physical(tenant, LogicalKeySpace);
        BaseTableName = Schema.Name.ToLowerInvariant();
        TableName = tableName ?? BaseTableName;
        Table = new TableSchema(Keyspace, TableName, AvroColumns.From(Schema), PartitionKey, PrimaryKey.Skip(PartitionKey.Count).ToList());
        Quarantine = Datasets.Quarantine.Table(Keyspace);
    }

    public string Tenant { get; }

    public string Name { get; }

    /// <summary>The configuration as the tenant registered it.</summary>
    public JsonElement Document { get; }

    public FileType FileType { get; }

    public string LogicalKeySpace { get; }

    /// <summary>The physical keyspace (see <see cref="KeyspaceNames.Physical"/>).</summary>
    public string Keyspace { get; }

    /// <summary>
    /// The coredms table that holds the rows now: the record's name in lower case, or after replaces a later generation of
    /// it (<see cref="TableOfGeneration"/>), which the catalog records.
    /// </summary>
    public string TableName { get; }

    /// <summary>The table name the record's name gives, before any replace.</summary>
    public string BaseTableName { get; }

    /// <summary>How many replaces made <see cref="TableName"/>: 0 for the record's own table, n for <c>{record}_r{n}</c>.</summary>
    public int Generation =>
        TableName.Length > BaseTableName.Length + 2 && int.TryParse(TableName.AsSpan(BaseTableName.Length + 2), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0;

    /// <summary>The table of generation <paramref name="generation"/> of this dataset's record.</summary>
    public string TableOfGeneration(int generation) => generation == 0 ? BaseTableName : $"{BaseTableName}_r{generation}";

    /// <summary>
    /// Set while the dataset is paused: runs skip it, its files stay staged, its events are refused. Null when active.
    /// The pause is the catalog's, not the document's: registering the dataset again keeps it.
    /// </summary>
    public DatasetPause? Pause { get; }

    /// <summary>The database table whose changes feed the dataset, if any (besides files and events).</summary>
    public DatasetSource? Source { get; }

    /// <summary>The data lake sink its rows are also written to, if any.</summary>
    public LakeSink? Lake { get; }

    public bool FirstRowIsHeader { get; }

    public char Delimiter { get; }

    public RecordSchema Schema { get; }

    public IReadOnlyList<string> PrimaryKey { get; }

    public IReadOnlyList<string> PartitionKey { get; }

    public long MaxFileBytes { get; }

    public QualityRules Quality { get; }

    public IReadOnlyDictionary<string, string[]> Formats { get; }

    public OnError OnError { get; }

    public double MaxErrorRatio { get; }

    public IngestionMode Mode { get; }

    public bool IsDefault { get; }

    /// <summary>What a new schema must keep readable when the dataset is registered again (<c>compatibility</c>, BACKWARD by default).</summary>
    public SchemaRule Compatibility { get; }

    /// <summary>The coredms table the rows go to.</summary>
    public TableSchema Table { get; }

    /// <summary>The keyspace's quarantine table, shared by the datasets of one keyspace.</summary>
    public TableSchema Quarantine { get; }

    /// <summary>The schema's Parsing Canonical Form fingerprint, which identifies "the same schema".</summary>
    public long Fingerprint => Schema.Fingerprint64;

    /// <summary>The dataset the document describes, on <paramref name="tableName"/> (the record's own table when null).</summary>
    public static Dataset From(string tenant, string name, JsonElement document, string? tableName = null, DatasetPause? pause = null) =>
        new(tenant, name, document, tableName, pause);

    /// <summary>This dataset on another table (a replace fills one before it becomes the dataset's).</summary>
    public Dataset OnTable(string tableName) => new(Tenant, Name, Document, tableName, Pause);

    /// <summary>The dataset a file without one named goes to: the tenant's only dataset, or its default.</summary>
    public static Dataset? OnlyOrDefault(IReadOnlyList<Dataset> all) => all.Count == 1 ? all[0] : all.FirstOrDefault(d => d.IsDefault);
}
