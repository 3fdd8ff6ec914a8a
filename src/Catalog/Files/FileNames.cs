using System.Text;
using Catalog.Datasets;

namespace Catalog.Files;

/// <summary>
/// Turns an uploaded file name into one that is safe on disk: the last path segment only, ASCII letters,
/// digits, '.', '-' and '_' (anything else becomes '_'), no leading dot (".csv" becomes "upload.csv"), at most 100 characters with the
/// extension kept. Uniqueness comes from the file id the platform puts in front.
/// </summary>
public static class FileNames
{
    public const int MaxLength = 100;

    public static string Sanitize(string? original)
    {
        var name = original ?? "";
        var cut = name.LastIndexOfAny(['/', '\\']);
        if (cut >= 0)
        {
            name = name[(cut + 1)..];
        }

        var safe = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            safe.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_');
        }

        var result = safe.ToString();
        var trimmed = result.TrimStart('.');
        if (trimmed.Length > 0 && trimmed.Length < result.Length && !trimmed.Contains('.', StringComparison.Ordinal))
        {
            trimmed = "." + trimmed;
        }

        result = trimmed.Replace("_", "", StringComparison.Ordinal).Replace(".", "", StringComparison.Ordinal).Length == 0 || trimmed.StartsWith('.')
            ? "upload" + (trimmed.StartsWith('.') ? trimmed : Path.GetExtension(trimmed))
            : trimmed;

        if (result.Length > MaxLength)
        {
            var extension = Path.GetExtension(result);
            extension = extension.Length > 10 ? "" : extension;
            result = result[..(MaxLength - extension.Length)] + extension;
        }

        return result;
    }

    /// <summary>The extensions (lowercase, no dot; "" for none) a dataset of <paramref name="type"/> takes.</summary>
    public static IReadOnlyList<string> ExtensionsFor(FileType type) => type switch
    {
        FileType.Csv => ["csv", "txt", ""],
        FileType.Tsv => ["tsv", "tab", "txt", ""],
        _ => ["avro"],
    };

    /// <summary>Why a file of this name is not for a dataset of <paramref name="type"/> ("takes csv files..."), or null when it is.</summary>
    public static string? TypeProblem(FileType type, string name)
    {
        var allowed = ExtensionsFor(type);
        return allowed.Contains(Extension(name))
            ? null
            : $"takes {type.ToString().ToLowerInvariant()} files ({string.Join(", ", allowed.Where(a => a.Length > 0).Select(a => "." + a))}); '{name}' is not one";
    }

    /// <summary>The lowercase extension without the dot ("" when none).</summary>
    public static string Extension(string name) => Path.GetExtension(name).TrimStart('.').ToLowerInvariant();
}
