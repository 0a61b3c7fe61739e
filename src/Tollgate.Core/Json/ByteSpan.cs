namespace Tollgate.Json;

/// <summary>A range of bytes in the request body: where a value starts and how long it is.</summary>
public readonly record struct ByteSpan(int Start, int Length)
{
    public static readonly ByteSpan None = new(-1, 0);

    public bool IsNone => Start < 0;

    public int End => Start + Length;
}
