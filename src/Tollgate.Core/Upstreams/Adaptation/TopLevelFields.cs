using System.Text;

namespace Tollgate.Upstreams.Adaptation;

/// <summary>
/// The top-level field names that some upstream's <see cref="RequestAdaptation"/> acts on. The request parser records
/// where the members with these names sit (as <see cref="TopLevelMember"/>s) during its own pass, so an adaptation
/// finds its edits without reading the body again. Built once from every upstream's adaptation; immutable.
/// </summary>
public sealed class TopLevelFields
{
    private readonly FieldNameIndex _names;
    private readonly RequestAdaptation[] _covered;

    private TopLevelFields(byte[][] names, RequestAdaptation[] covered)
    {
        _names = new FieldNameIndex(names);
        _covered = covered;
    }

    /// <summary>How many names there are: no body has more members to record, since keys are unique.</summary>
    public int Count => _names.Count;

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
    public bool Contains(ReadOnlySpan<byte> name) => _names.IndexOf(name) >= 0;

    /// <summary>True when a key token (quotes included, perhaps with escapes) names one of the fields.</summary>
    public bool ContainsKey(ReadOnlySpan<byte> keyToken) => _names.IndexOfKey(keyToken) >= 0;
}
