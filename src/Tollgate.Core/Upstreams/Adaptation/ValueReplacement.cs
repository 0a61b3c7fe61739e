namespace Tollgate.Upstreams.Adaptation;

/// <summary>
/// A string value replaced by another: <paramref name="From"/> is the client's value (UTF-8, unescaped),
/// <paramref name="To"/> the JSON string token written instead, or empty to drop the member.
/// </summary>
internal readonly record struct ValueReplacement(byte[] From, ReadOnlyMemory<byte> To)
{
    public bool Drops => To.IsEmpty;
}
