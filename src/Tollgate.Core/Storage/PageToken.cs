using System.Buffers.Text;
using System.Text;

namespace Tollgate.Storage;

/// <summary>
/// The continuation token Tollgate hands to API callers: an opaque, URL-safe wrapping (base64url) of a
/// query's resume point, so callers never see or build Table Storage keys.
/// </summary>
public static class PageToken
{
    public static string? Encode(string? resumePoint) =>
        string.IsNullOrEmpty(resumePoint) ? null : Base64Url.EncodeToString(Encoding.UTF8.GetBytes(resumePoint));

    /// <summary>The resume point, or null for none. A token Tollgate did not make is an <see cref="ArgumentException"/>.</summary>
    public static string? Decode(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }
        try
        {
            return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
        }
        catch (FormatException)
        {
            throw new ArgumentException("The continuation token is not valid.", nameof(token));
        }
    }
}
