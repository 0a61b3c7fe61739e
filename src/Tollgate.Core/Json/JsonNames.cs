using System.Text.Json;

namespace Tollgate.Json;

/// <summary>Unescapes short JSON strings (property names) on the caller's stack.</summary>
internal static class JsonNames
{
    /// <summary>An escaped name is at most this many times longer than the name it spells (<c>\u0061</c> for <c>a</c>).</summary>
    public const int MaxEscapeExpansion = 6;

    /// <summary>
    /// Writes the text of <paramref name="token"/> (a JSON string token, quotes included) unescaped to
    /// <paramref name="destination"/>. False when it is not a string token, or when it is longer than
    /// <paramref name="destination"/> (its text then spells more than a sixth of that).
    /// </summary>
    public static bool TryUnescape(ReadOnlySpan<byte> token, Span<byte> destination, out int written)
    {
        written = 0;
        if (token.Length < 2 || token.Length - 2 > destination.Length)
        {
            return false;
        }
        var reader = new Utf8JsonReader(token);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.String)
            {
                return false;
            }
            // Unescaped text is never longer than its escaped spelling, which fits.
            written = reader.CopyString(destination);
            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not a string token, or an escape that spells no text (a lone surrogate).
            return false;
        }
    }
}
