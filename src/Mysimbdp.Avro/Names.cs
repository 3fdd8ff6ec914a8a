namespace Mysimbdp.Avro;

/// <summary>The specification's rules for names: start with [A-Za-z_], then only [A-Za-z0-9_].</summary>
public static class Names
{
    public static bool IsValidName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || !(char.IsAsciiLetter(name[0]) || name[0] == '_'))
        {
            return false;
        }

        foreach (var c in name[1..])
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A namespace is empty (the null namespace) or dot-separated valid names.</summary>
    public static bool IsValidNamespace(string ns)
    {
        if (ns.Length == 0)
        {
            return true;
        }

        foreach (var part in ns.Split('.'))
        {
            if (!IsValidName(part))
            {
                return false;
            }
        }

        return true;
    }
}
