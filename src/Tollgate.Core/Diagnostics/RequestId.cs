namespace Tollgate.Diagnostics;

/// <summary>
/// Request ids: <c>req_</c> and 24 lower-case hex digits (96 random bits), safe as a Table Storage row key.
/// They need uniqueness, not secrecy: <see cref="Random.Shared"/> (seeded per process from the OS) gives it
/// without a call into the crypto library on every request.
/// </summary>
public static class RequestId
{
    public static string New()
    {
        return string.Create(28, 0, static (chars, _) =>
        {
            Span<byte> random = stackalloc byte[12];
            Random.Shared.NextBytes(random);
            "req_".CopyTo(chars);
            Convert.TryToHexStringLower(random, chars[4..], out _);
        });
    }
}
