using System.Buffers.Text;
using System.Text;

namespace Tollgate.Storage;

/// <summary>Folds Table Storage's next-partition/next-row pair into one opaque base64url token.</summary>
internal static class ContinuationToken
{
    public static string? Encode(string? nextPartitionKey, string? nextRowKey) =>
        string.IsNullOrEmpty(nextPartitionKey)
            ? null
            : Base64Url.EncodeToString(Encoding.UTF8.GetBytes(nextPartitionKey + "\n" + (nextRowKey ?? "")));

    public static bool TryDecode(string? token, out string nextPartitionKey, out string? nextRowKey)
    {
        nextPartitionKey = "";
        nextRowKey = null;
        if (string.IsNullOrEmpty(token))
        {
            return false;
        }
        string text;
        try
        {
            text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
        }
        catch (FormatException)
        {
            throw new ArgumentException("The continuation token is not valid.", nameof(token));
        }
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        if (newline <= 0)
        {
            throw new ArgumentException("The continuation token is not valid.", nameof(token));
        }
        nextPartitionKey = text[..newline];
        nextRowKey = newline == text.Length - 1 ? null : text[(newline + 1)..];
        return true;
    }
}
