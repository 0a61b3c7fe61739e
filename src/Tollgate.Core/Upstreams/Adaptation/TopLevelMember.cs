namespace Tollgate.Upstreams.Adaptation;

/// <summary>
/// Where one top-level member of a request body sits, as offsets into the body: its key token (quotes included), its
/// value, and its neighbours, which is all an adaptation needs to rename, replace or drop it with a splice.
/// </summary>
/// <param name="PreviousEnd">End of the previous member's value, or -1 for the first member.</param>
/// <param name="KeyStart">The opening quote of the key.</param>
/// <param name="KeyEnd">Just past the closing quote of the key.</param>
/// <param name="ValueStart">The first byte of the value.</param>
/// <param name="ValueEnd">Just past the last byte of the value.</param>
/// <param name="NextKeyStart">Start of the next member's key, or -1 when this member is the last.</param>
public readonly record struct TopLevelMember(int PreviousEnd, int KeyStart, int KeyEnd, int ValueStart, int ValueEnd, int NextKeyStart = -1);
