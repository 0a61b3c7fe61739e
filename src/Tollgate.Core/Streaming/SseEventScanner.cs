namespace Tollgate.Streaming;

/// <summary>
/// Finds server-sent event boundaries in raw bytes. Lines may end in LF, CR or CRLF (mixed freely); an
/// event ends at the first empty line. A CR at the very end of the buffer is undecided (it may be the
/// first half of a CRLF), so the scanner waits for more bytes unless the stream has ended.
/// </summary>
public static class SseEventScanner
{
    /// <summary>
    /// Returns the length of the first complete event in <paramref name="buffer"/>, terminating empty
    /// line included, or -1 when more bytes are needed.
    /// </summary>
    public static int FindEventEnd(ReadOnlySpan<byte> buffer, bool endOfStream)
    {
        var lineStart = 0;
        while (true)
        {
            var rest = buffer[lineStart..];
            var offset = rest.IndexOfAny((byte)'\n', (byte)'\r');
            if (offset < 0)
            {
                return -1;
            }
            var terminator = lineStart + offset;
            int terminatorLength;
            if (buffer[terminator] == (byte)'\r')
            {
                if (terminator + 1 == buffer.Length && !endOfStream)
                {
                    return -1;
                }
                terminatorLength = terminator + 1 < buffer.Length && buffer[terminator + 1] == (byte)'\n' ? 2 : 1;
            }
            else
            {
                terminatorLength = 1;
            }

            if (offset == 0)
            {
                return terminator + terminatorLength;
            }
            lineStart = terminator + terminatorLength;
        }
    }
}
