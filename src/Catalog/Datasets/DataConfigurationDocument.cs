using System.Text.Json;
using System.Text.Json.Serialization;

namespace Catalog.Datasets;

/// <summary>
/// A data configuration as tenants send it (the seed format plus optional extensions). Every value is kept
/// as JSON so that validation can report a wrong type for each field together with every other problem.
/// </summary>
public sealed record DataConfigurationDocument
{
    [JsonPropertyName("name")] public JsonElement? Name { get; init; }

    [JsonPropertyName("file_type")] public JsonElement? FileType { get; init; }

    [JsonPropertyName("key_space")] public JsonElement? KeySpace { get; init; }

    [JsonPropertyName("csv.first.row.as.header")] public JsonElement? FirstRowIsHeader { get; init; }

    [JsonPropertyName("schema")] public JsonElement? Schema { get; init; }

    [JsonPropertyName("primary_key")] public JsonElement? PrimaryKey { get; init; }

    [JsonPropertyName("partition_key")] public JsonElement? PartitionKey { get; init; }

    [JsonPropertyName("max_file_size_mb")] public JsonElement? MaxFileSizeMb { get; init; }

    [JsonPropertyName("delimiter")] public JsonElement? Delimiter { get; init; }

    [JsonPropertyName("quality")] public JsonElement? Quality { get; init; }

    [JsonPropertyName("formats")] public JsonElement? Formats { get; init; }

    [JsonPropertyName("on_error")] public JsonElement? OnError { get; init; }

    [JsonPropertyName("max_error_ratio")] public JsonElement? MaxErrorRatio { get; init; }

    [JsonPropertyName("ingestion_mode")] public JsonElement? IngestionMode { get; init; }

    [JsonPropertyName("default")] public JsonElement? IsDefault { get; init; }

    [JsonPropertyName("compatibility")] public JsonElement? Compatibility { get; init; }

    /// <summary>Where the rows come from besides files and events: <c>{"type": "postgres_cdc", "connection", "table"}</c>.</summary>
    [JsonPropertyName("source")] public JsonElement? Source { get; init; }

    /// <summary>Where rows go besides coredms: <c>[{"type": "lake", "partition_by", "compression"}]</c>.</summary>
    [JsonPropertyName("sinks")] public JsonElement? Sinks { get; init; }

    /// <summary>Properties the contract does not define; each is reported, since a typo would otherwise go unnoticed.</summary>
    [JsonExtensionData] public Dictionary<string, JsonElement>? Unknown { get; init; }
}
