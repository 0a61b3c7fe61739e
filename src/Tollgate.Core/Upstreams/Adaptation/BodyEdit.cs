namespace Tollgate.Upstreams.Adaptation;

/// <summary>
/// One splice of a request body: the <paramref name="Length"/> bytes at <paramref name="Offset"/> are replaced by
/// <paramref name="Replacement"/> (a removal when it is empty, an insertion when <paramref name="Length"/> is 0).
/// </summary>
public readonly record struct BodyEdit(int Offset, int Length, ReadOnlyMemory<byte> Replacement)
{
    /// <summary>Offset just past the bytes this edit replaces.</summary>
    public int End => Offset + Length;
}
