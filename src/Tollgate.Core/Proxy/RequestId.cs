using System.Security.Cryptography;

namespace Tollgate.Proxy;

/// <summary>Request ids: <c>req_</c> and 24 lower-case hex digits, safe as a Table Storage row key.</summary>
public static class RequestId
{
    public static string New()
    {
        Span<byte> bytes = stackalloc byte[12];
        RandomNumberGenerator.Fill(bytes);
        return string.Create(28, bytes.ToArray(), static (chars, random) =>
        {
            "req_".CopyTo(chars);
            Convert.TryToHexStringLower(random, chars[4..], out _);
        });
    }
}
