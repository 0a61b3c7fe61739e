using System.Text;

namespace Tollgate.Proxy.Parsing;

/// <summary>
/// A scalar option checked only for its kind and inclusive bounds. <paramref name="OutOfRange"/> ends the
/// 422 message (<c>'top_p' must be between 0 and 1.</c>); null where no value of the kind can be out of range.
/// </summary>
internal sealed record RangeRule(string Name, RangeKind Kind, double Min, double Max, string? OutOfRange)
{
    public byte[] Utf8Name { get; } = Encoding.UTF8.GetBytes(Name);
}
