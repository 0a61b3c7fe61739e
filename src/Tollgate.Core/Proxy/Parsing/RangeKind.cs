namespace Tollgate.Proxy.Parsing;

/// <summary>The JSON value a <see cref="RangeRule"/> accepts (besides null).</summary>
internal enum RangeKind
{
    Number,
    Integer,
    Boolean,
}
