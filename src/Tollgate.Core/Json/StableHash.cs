namespace Tollgate.Json;

/// <summary>FNV-1a, 64-bit: a fast hash that is the same on every machine and run (unlike string.GetHashCode).</summary>
public static class StableHash
{
    public static ulong Fnv1a64(ReadOnlySpan<byte> bytes)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }
        return hash;
    }

    public static ulong Fnv1a64(string text) => Fnv1a64(System.Text.Encoding.UTF8.GetBytes(text));
}
