using System.Globalization;
using System.Text.RegularExpressions;

namespace Catalog.Agreements;

/// <summary>
/// Kubernetes resource quantities (<c>250m</c>, <c>1</c>, <c>512Mi</c>, <c>1G</c>, <c>1e3</c>) parsed to numbers,
/// with the rules that make sense per resource: CPU counts cores or millicores; memory counts bytes.
/// </summary>
public static partial class KubernetesQuantity
{
    private static readonly Dictionary<string, decimal> Suffixes = new(StringComparer.Ordinal)
    {
        [""] = 1m, ["n"] = 1e-9m, ["u"] = 1e-6m, ["m"] = 1e-3m,
        ["k"] = 1e3m, ["M"] = 1e6m, ["G"] = 1e9m, ["T"] = 1e12m, ["P"] = 1e15m, ["E"] = 1e18m,
        ["Ki"] = 1024m, ["Mi"] = 1024m * 1024, ["Gi"] = 1024m * 1024 * 1024, ["Ti"] = 1024m * 1024 * 1024 * 1024,
        ["Pi"] = 1024m * 1024 * 1024 * 1024 * 1024, ["Ei"] = 1024m * 1024 * 1024 * 1024 * 1024 * 1024,
    };

    [GeneratedRegex(@"^(?<number>\+?(\d+(\.\d*)?|\.\d+))(?<suffix>[a-zA-Z]*|[eE][+-]?\d+)$")]
    private static partial Regex Grammar();

    /// <summary>Parses a CPU quantity to cores. CPU is a count of cores: plain numbers or millicores only.</summary>
    public static bool TryParseCpu(string? text, out decimal cores, out string error)
    {
        cores = 0;
        if (!TryParse(text, out var number, out var suffix, out error))
        {
            error = $"'{text}' is not a CPU quantity: {error}";
            return false;
        }

        if (suffix is not ("" or "m"))
        {
            var kind = suffix.EndsWith('i') || suffix is "k" or "M" or "G" or "T" or "P" or "E"
                ? $"'{suffix}' is a memory unit"
                : $"'{suffix}' is not a CPU unit";
            error = $"'{text}' is not a CPU quantity: CPU is counted in cores ('1', '0.5') or millicores ('250m'); {kind}";
            return false;
        }

        cores = number * Suffixes[suffix];
        if (cores < 0.001m)
        {
            error = $"'{text}' is not a CPU quantity: the smallest amount is 1m (a thousandth of a core)";
            return false;
        }

        return true;
    }

    /// <summary>Parses a memory quantity to bytes (binary Ki..Ei, decimal k..E, or an exponent).</summary>
    public static bool TryParseMemory(string? text, out decimal bytes, out string error)
    {
        bytes = 0;
        if (!TryParse(text, out var number, out var suffix, out error))
        {
            error = $"'{text}' is not a memory quantity: {error}";
            return false;
        }

        decimal factor;
        if (suffix.Length > 1 && suffix[0] is 'e' or 'E' && int.TryParse(suffix[1..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exponent) && exponent is >= 0 and <= 18)
        {
            factor = Pow10(exponent);
        }
        else if (!Suffixes.TryGetValue(suffix, out factor) || suffix is "n" or "u" or "m")
        {
            error = suffix is "n" or "u" or "m"
                ? $"'{text}' is not a memory quantity: '{suffix}' would mean a fraction of a byte; use 'Mi' for mebibytes or 'M' for megabytes"
                : $"'{text}' is not a memory quantity: use bytes with a suffix such as '512Mi' (mebibytes) or '512M' (megabytes); '{suffix}' is not a Kubernetes suffix";
            return false;
        }

        bytes = number * factor;
        if (bytes < 1)
        {
            error = $"'{text}' is not a memory quantity: it is less than one byte";
            return false;
        }

        return true;
    }

    private static bool TryParse(string? text, out decimal number, out string suffix, out string error)
    {
        number = 0;
        suffix = "";
        error = "";
        var match = Grammar().Match(text ?? "");
        if (!match.Success || !decimal.TryParse(match.Groups["number"].Value, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number))
        {
            error = "expected a non-negative number with an optional unit, such as '250m', '1', '512Mi'";
            return false;
        }

        suffix = match.Groups["suffix"].Value;
        if (suffix.Length > 0 && suffix[0] is not ('e' or 'E') && !Suffixes.ContainsKey(suffix))
        {
            error = $"'{suffix}' is not a Kubernetes unit (known: m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei)";
            return false;
        }

        return true;
    }

    private static decimal Pow10(int exponent)
    {
        var result = 1m;
        for (var i = 0; i < exponent; i++)
        {
            result *= 10;
        }

        return result;
    }
}
