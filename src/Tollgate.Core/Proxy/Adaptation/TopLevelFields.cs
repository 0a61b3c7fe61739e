using System.Text;
using Tollgate.Json;

namespace Tollgate.Proxy.Adaptation;

/// <summary>
/// The top-level field names that some upstream's <see cref="RequestAdaptation"/> acts on. The request parser records
/// where the members with these names sit (<see cref="ChatRequest.Members"/>) during its own pass, so an adaptation
/// finds its edits without reading the body again. Built once from every upstream's adaptation; immutable.
/// </summary>
public sealed class TopLevelFields
{
    private readonly byte[][] _names;
    private readonly RequestAdaptation[] _covered;

    /// <summary>Bit n-1 is set when some name is n bytes long: most keys are rejected on their length alone.</summary>
    private readonly ulong _lengths;

    private TopLevelFields(byte[][] names, RequestAdaptation[] covered)
    {
        _names = names;
        _covered = covered;
        foreach (var name in names)
        {
            _lengths |= 1UL << (name.Length - 1);
        }
    }

    /// <summary>How many names there are: no body has more members to record, since keys are unique.</summary>
    public int Count => _names.Length;

    /// <summary>The fields every adaptation in <paramref name="adaptations"/> acts on; null when none adapts bodies.</summary>
    public static TopLevelFields? Of(IEnumerable<RequestAdaptation> adaptations)
    {
        ArgumentNullException.ThrowIfNull(adaptations);
        var covered = adaptations.Where(adaptation => adaptation.AdaptsBody).Distinct().ToArray();
        if (covered.Length == 0)
        {
            return null;
        }
        var names = covered.SelectMany(adaptation => adaptation.FieldNames)
            .Select(Encoding.UTF8.GetString).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select(Encoding.UTF8.GetBytes).ToArray();
        return new TopLevelFields(names, covered);
    }

    /// <summary>True when the members recorded for these fields are all that <paramref name="adaptation"/> needs.</summary>
    public bool Covers(RequestAdaptation adaptation) => Array.IndexOf(_covered, adaptation) >= 0;

    /// <summary>True when <paramref name="name"/> (unescaped UTF-8) is one of the fields.</summary>
    public bool Contains(ReadOnlySpan<byte> name)
    {
        var length = name.Length;
        if (length is 0 or > AdaptationValidator.MaxNameLength || (_lengths & (1UL << (length - 1))) == 0)
        {
            return false;
        }
        foreach (var candidate in _names)
        {
            if (name.SequenceEqual(candidate))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>As <see cref="Contains"/>, for a key token (quotes included) whose name is written with escapes.</summary>
    public bool ContainsEscaped(ReadOnlySpan<byte> keyToken)
    {
        Span<byte> name = stackalloc byte[AdaptationValidator.MaxNameLength * JsonNames.MaxEscapeExpansion];
        return JsonNames.TryUnescape(keyToken, name, out var written) && Contains(name[..written]);
    }
}
