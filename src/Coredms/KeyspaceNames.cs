using System.Security.Cryptography;
using System.Text;

namespace Coredms;

/// <summary>
/// Maps tenants' logical key spaces to physical keyspaces. A tenant's <c>key_space</c> is a name inside
/// its own namespace; the physical name is <c>t{n}_{tenant}_{key_space}</c>, where n is the length of the
/// tenant id, so that the mapping is one-to-one even though ids and key spaces may both contain
/// underscores (tenant "a_b" with "c" gives t3_a_b_c; tenant "a" with "b_c" gives t1_a_b_c). Cassandra
/// allows 48 characters; a longer name keeps its first 37 characters and ends with 10 hex digits of a
/// SHA-256 of the full name. The platform's own keyspace, <see cref="Platform"/>, cannot collide because
/// physical tenant keyspaces start with 't' and a digit.
/// </summary>
public static class KeyspaceNames
{
    public const string Platform = "mysimbdp_platform";
    public const int MaxLength = 48;

    public static string Physical(string tenantId, string keySpace)
    {
        var full = $"t{tenantId.Length}_{tenantId}_{keySpace.ToLowerInvariant()}";
        if (full.Length <= MaxLength)
        {
            return full;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(full)))[..10];
        return $"{full[..37]}_{hash}";
    }

    /// <summary>True for identifiers coredms accepts as keyspace, table and column names: [A-Za-z][A-Za-z0-9_]{0,47}.</summary>
    public static bool IsValidIdentifier(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || name.Length > MaxLength || !char.IsAsciiLetter(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }
}
