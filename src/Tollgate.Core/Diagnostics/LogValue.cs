namespace Tollgate.Diagnostics;

/// <summary>Makes a caller-supplied value safe for a log line: bounded, and no CR/LF to forge entries.</summary>
internal static class LogValue
{
    public static string Safe(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }
        var text = value.Length > 128 ? value[..128] : value;
        return text.AsSpan().ContainsAny('\r', '\n') ? text.Replace("\r", "\\r").Replace("\n", "\\n") : text;
    }
}
