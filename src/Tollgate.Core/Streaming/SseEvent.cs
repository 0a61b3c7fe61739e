using System.Buffers;

namespace Tollgate.Streaming;

/// <summary>Reads the <c>data</c> field of one raw SSE event.</summary>
public static class SseEvent
{
    public static ReadOnlySpan<byte> Done => "[DONE]"u8;

    /// <summary>
    /// The event's data: a slice of <paramref name="rawEvent"/> when it has one data line (the usual case,
    /// no copy), the lines joined with LF in <paramref name="scratch"/> when it has several, empty when none.
    /// Comment lines and other fields are ignored.
    /// </summary>
    public static ReadOnlySpan<byte> GetData(ReadOnlySpan<byte> rawEvent, ref ArrayBufferWriter<byte>? scratch, out bool hasData)
    {
        hasData = false;
        ReadOnlySpan<byte> single = default;
        var lines = 0;
        var remaining = rawEvent;
        while (!remaining.IsEmpty)
        {
            var end = remaining.IndexOfAny((byte)'\n', (byte)'\r');
            var line = end < 0 ? remaining : remaining[..end];
            if (end < 0)
            {
                remaining = default;
            }
            else
            {
                var skip = remaining[end] == (byte)'\r' && end + 1 < remaining.Length && remaining[end + 1] == (byte)'\n' ? 2 : 1;
                remaining = remaining[(end + skip)..];
            }

            if (!line.StartsWith("data"u8))
            {
                continue;
            }
            ReadOnlySpan<byte> value;
            if (line.Length == 4)
            {
                value = default;
            }
            else if (line[4] == (byte)':')
            {
                value = line[5..];
                if (!value.IsEmpty && value[0] == (byte)' ')
                {
                    value = value[1..];
                }
            }
            else
            {
                continue; // a field such as "dataX", not "data"
            }

            hasData = true;
            if (lines == 0)
            {
                single = value;
            }
            else
            {
                if (lines == 1)
                {
                    scratch ??= new ArrayBufferWriter<byte>(256);
                    scratch.ResetWrittenCount();
                    scratch.Write(single);
                }
                scratch!.Write("\n"u8);
                scratch!.Write(value);
            }
            lines++;
        }
        return lines > 1 ? scratch!.WrittenSpan : single;
    }
}
