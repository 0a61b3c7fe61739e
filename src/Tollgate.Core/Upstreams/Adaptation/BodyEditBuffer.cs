using System.Runtime.CompilerServices;

namespace Tollgate.Upstreams.Adaptation;

/// <summary>
/// Room on the stack for the edits of one body: every edit a <see cref="RequestAdaptation"/> can make plus a few of the
/// caller's own (the model and <c>stream_options</c> splices). <c>var buffer = new BodyEditBuffer(); Span&lt;BodyEdit&gt; edits = buffer;</c>
/// </summary>
[InlineArray(Capacity)]
public struct BodyEditBuffer
{
    /// <summary>How many edits fit: <see cref="RequestAdaptation.MaxEditCount"/> and four more.</summary>
    public const int Capacity = RequestAdaptation.MaxEditCount + 4;

    private BodyEdit _element;
}
