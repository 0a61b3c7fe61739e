using Tollgate.Json;

namespace Tollgate.Upstreams.Adaptation;

/// <summary>
/// A few top-level field names (plain, at most <see cref="AdaptationValidator.MaxNameLength"/> bytes) looked up by a
/// key as it stands in a body: most keys are turned away on their length alone, escaped keys are compared unescaped.
/// </summary>
internal sealed class FieldNameIndex
{
    private readonly byte[][] _names;

    /// <summary>Bit n-1 is set when some name is n bytes long.</summary>
    private readonly ulong _lengths;

    public FieldNameIndex(byte[][] names)
    {
        _names = names;
        foreach (var name in names)
        {
            _lengths |= 1UL << (name.Length - 1);
        }
    }

    public int Count => _names.Length;

    /// <summary>The index of <paramref name="name"/> (unescaped UTF-8), or -1.</summary>
    public int IndexOf(ReadOnlySpan<byte> name)
    {
        var length = name.Length;
        if (length is 0 or > AdaptationValidator.MaxNameLength || (_lengths & (1UL << (length - 1))) == 0)
        {
            return -1;
        }
        for (var i = 0; i < _names.Length; i++)
        {
            if (name.SequenceEqual(_names[i]))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>The index of the name a key token (quotes included, perhaps with escapes) spells, or -1.</summary>
    public int IndexOfKey(ReadOnlySpan<byte> token)
    {
        var name = token[1..^1];
        if (name.IndexOf((byte)'\\') < 0)
        {
            return IndexOf(name);
        }
        // Unescaped on the stack: a key longer than any name's longest spelling cannot match and is not unescaped.
        Span<byte> unescaped = stackalloc byte[AdaptationValidator.MaxNameLength * JsonNames.MaxEscapeExpansion];
        return JsonNames.TryUnescape(token, unescaped, out var written) ? IndexOf(unescaped[..written]) : -1;
    }
}
