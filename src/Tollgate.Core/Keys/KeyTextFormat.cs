using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;

namespace Tollgate.Keys;

/// <summary>
/// The text of a key Tollgate issues: <c>tg-{key id}-{secret}</c>, where the key id is 16 lowercase hex digits
/// (64 random bits, public) and the secret 43 base64url characters (256 random bits). The prefix makes keys
/// recognisable (secret scanners, logs); only the hash of the whole text is stored.
/// </summary>
public static class KeyTextFormat
{
    public const string Prefix = "tg-";
    public const int IdLength = IdBytes * 2;
    public const int SecretLength = 43;
    public const int Length = 3 + IdLength + 1 + SecretLength;

    private const int IdBytes = 8;
    private const int SecretBytes = 32;

    private static readonly SearchValues<char> LowerHex = SearchValues.Create("0123456789abcdef");

    private static readonly SearchValues<char> Base64UrlAlphabet =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    /// <summary>A new random key: its id and its full text.</summary>
    public static (string Id, string Text) Generate()
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(IdBytes));
        Span<byte> secret = stackalloc byte[SecretBytes];
        RandomNumberGenerator.Fill(secret);
        var text = string.Concat(DisplayPrefix(id), "-", Base64Url.EncodeToString(secret));
        CryptographicOperations.ZeroMemory(secret);
        return (id, text);
    }

    /// <summary>The part that is safe to show: prefix and key id, without the secret.</summary>
    public static string DisplayPrefix(string id) => Prefix + id;

    /// <summary>Whether <paramref name="text"/> has the exact shape of an issued key; if so, its key id.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out string id)
    {
        id = "";
        if (text.Length != Length || !text.StartsWith(Prefix, StringComparison.Ordinal) || text[Prefix.Length + IdLength] != '-')
        {
            return false;
        }
        var idText = text.Slice(Prefix.Length, IdLength);
        var secret = text[^SecretLength..];
        if (idText.ContainsAnyExcept(LowerHex) || secret.ContainsAnyExcept(Base64UrlAlphabet)
            || !Base64Url.IsValid(secret, out var decoded) || decoded != SecretBytes)
        {
            return false;
        }
        id = idText.ToString();
        return true;
    }
}
