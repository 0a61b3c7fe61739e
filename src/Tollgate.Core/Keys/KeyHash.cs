using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Tollgate.Keys;

/// <summary>SHA-256 of a key's full text: what is stored and looked up, never the key itself.</summary>
public readonly record struct KeyHash(ulong A, ulong B, ulong C, ulong D)
{
    public const int MaxKeyLength = 256;

    public static KeyHash Compute(ReadOnlySpan<char> key)
    {
        Span<byte> utf8 = stackalloc byte[MaxKeyLength * 3];
        var length = Encoding.UTF8.GetBytes(key[..Math.Min(key.Length, MaxKeyLength)], utf8);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(utf8[..length], digest);
        CryptographicOperations.ZeroMemory(utf8[..length]);
        return FromBytes(digest);
    }

    public static KeyHash FromBytes(ReadOnlySpan<byte> digest) => new(
        BinaryPrimitives.ReadUInt64BigEndian(digest),
        BinaryPrimitives.ReadUInt64BigEndian(digest[8..]),
        BinaryPrimitives.ReadUInt64BigEndian(digest[16..]),
        BinaryPrimitives.ReadUInt64BigEndian(digest[24..]));

    public static bool TryParseHex(string hex, out KeyHash hash)
    {
        hash = default;
        if (hex.Length != 64)
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[32];
        if (Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != 32)
        {
            return false;
        }
        hash = FromBytes(bytes);
        return true;
    }

    public void WriteBytes(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, A);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], B);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], C);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], D);
    }

    public string ToHex()
    {
        Span<byte> bytes = stackalloc byte[32];
        WriteBytes(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>Constant-time comparison, for confirming a lookup hit.</summary>
    public bool FixedTimeEquals(KeyHash other)
    {
        Span<byte> left = stackalloc byte[32];
        Span<byte> right = stackalloc byte[32];
        WriteBytes(left);
        other.WriteBytes(right);
        return CryptographicOperations.FixedTimeEquals(left, right);
    }

    public override string ToString() => "KeyHash(…)";
}
