using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Tollgate.Keys;

/// <summary>
/// Hashes key text for storage and lookup: SHA-256, or HMAC-SHA256 keyed with <c>Tollgate:KeyPepper</c> when
/// one is configured (then a stolen keys table cannot be checked against guesses without the pepper).
/// </summary>
public sealed class KeyHasher
{
    private readonly byte[]? _pepper;

    public KeyHasher(IOptions<KeysOptions> options)
    {
        var pepper = options.Value.KeyPepper;
        _pepper = string.IsNullOrEmpty(pepper) ? null : Encoding.UTF8.GetBytes(pepper);
    }

    public bool UsesPepper => _pepper is not null;

    public KeyHash Compute(ReadOnlySpan<char> key)
    {
        if (_pepper is null)
        {
            return KeyHash.Compute(key);
        }
        Span<byte> utf8 = stackalloc byte[KeyHash.MaxKeyLength * 3];
        var length = Encoding.UTF8.GetBytes(key[..Math.Min(key.Length, KeyHash.MaxKeyLength)], utf8);
        Span<byte> digest = stackalloc byte[32];
        HMACSHA256.HashData(_pepper, utf8[..length], digest);
        CryptographicOperations.ZeroMemory(utf8[..length]);
        return KeyHash.FromBytes(digest);
    }
}
