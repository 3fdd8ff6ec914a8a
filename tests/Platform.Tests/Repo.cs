using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Tests;

/// <summary>Files of the repository the tests read (the seed examples), found from the test's folder upwards.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public static JsonObject Json(params string[] parts) => JsonNode.Parse(File.ReadAllText(Path(parts)))!.AsObject();

    public static JsonObject Example(string tenant, string document) => Json("schemas", "examples", tenant, document + ".json");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Mysimbdp.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Mysimbdp.slnx not found above " + AppContext.BaseDirectory);
    }

    public static StringContent Body(JsonNode json) => new(json.ToJsonString(), System.Text.Encoding.UTF8, "application/json");

    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
}
