using System.Text.Json;
using System.Text.Json.Serialization;

namespace Catalog.Agreements;

/// <summary>A service agreement as tenants send it (seed format plus optional apps and quotas), kept as JSON for validation.</summary>
public sealed record ServiceAgreementDocument
{
    [JsonPropertyName("client")] public JsonElement? Client { get; init; }

    [JsonPropertyName("data_retention_period_days")] public JsonElement? RetentionDays { get; init; }

    [JsonPropertyName("schedule")] public JsonElement? Schedule { get; init; }

    [JsonPropertyName("resources")] public JsonElement? Resources { get; init; }

    [JsonPropertyName("batch_app")] public JsonElement? BatchApp { get; init; }

    [JsonPropertyName("stream_app")] public JsonElement? StreamApp { get; init; }

    [JsonPropertyName("quotas")] public JsonElement? Quotas { get; init; }

    [JsonExtensionData] public Dictionary<string, JsonElement>? Unknown { get; init; }
}
