using System.Text;

namespace Tollgate.Proxy.Parsing;

/// <summary>
/// One step of the JSON path the parser is at: a property name, an array index, or a cut where an
/// unchecked subtree starts (names inside it are reported on their own, as they always have been).
/// </summary>
internal readonly struct PathSegment
{
    private PathSegment(string? name, int index)
    {
        Name = name;
        Index = index;
    }

    public static PathSegment Cut => new(null, -1);

    public string? Name { get; }

    public int Index { get; }

    public bool IsCut => Name is null && Index < 0;

    public static PathSegment Property(string name) => new(name, 0);

    public static PathSegment Element(int index) => new(null, index);

    /// <summary>Formats the path after the last cut, then <paramref name="leaf"/>: <c>messages[3].content</c>. Only runs on an error.</summary>
    public static string Format(ReadOnlySpan<PathSegment> path, string? leaf)
    {
        var start = path.Length;
        while (start > 0 && !path[start - 1].IsCut)
        {
            start--;
        }

        var text = new StringBuilder();
        foreach (var segment in path[start..])
        {
            if (segment.Name is null)
            {
                text.Append('[').Append(segment.Index).Append(']');
            }
            else
            {
                AppendName(text, segment.Name);
            }
        }
        if (leaf is not null)
        {
            AppendName(text, leaf);
        }
        return text.ToString();
    }

    private static void AppendName(StringBuilder text, string name)
    {
        if (text.Length > 0)
        {
            text.Append('.');
        }
        text.Append(name);
    }
}
