using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Tollgate.Usage;

/// <summary>
/// The text of a chat-completion request that a model reads as prompt: message contents (plain or text parts),
/// names, tool-call names and arguments, and the tool and function definitions (as their JSON). Read from the
/// already validated body, only when tokens must be counted by the gateway.
/// </summary>
internal static class PromptText
{
    /// <summary>Appends the prompt text to <paramref name="text"/> and returns how many messages there were.</summary>
    public static int Extract(ReadOnlySpan<byte> body, IBufferWriter<char> text)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 256 });
        var messages = 0;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return 0;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("messages"u8))
                {
                    reader.Read();
                    messages = ReadMessages(ref reader, body, text);
                }
                else if (reader.ValueTextEquals("tools"u8) || reader.ValueTextEquals("functions"u8))
                {
                    reader.Read();
                    AppendRaw(ref reader, body, text);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            // The body was validated before it was forwarded; a body that is not JSON counts what was read.
        }
        return messages;
    }

    private static int ReadMessages(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, IBufferWriter<char> text)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return 0;
        }
        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            count++;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("content"u8) || reader.ValueTextEquals("reasoning_content"u8) || reader.ValueTextEquals("refusal"u8))
                {
                    reader.Read();
                    AppendContent(ref reader, text);
                }
                else if (reader.ValueTextEquals("name"u8))
                {
                    reader.Read();
                    AppendString(ref reader, text);
                }
                else if (reader.ValueTextEquals("tool_calls"u8) || reader.ValueTextEquals("function_call"u8))
                {
                    reader.Read();
                    AppendRaw(ref reader, body, text);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        return count;
    }

    /// <summary>A string, or an array of parts whose <c>text</c> fields are appended (images and audio are not text).</summary>
    private static void AppendContent(ref Utf8JsonReader reader, IBufferWriter<char> text)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            AppendString(ref reader, text);
            return;
        }
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }
        var depth = reader.CurrentDepth;
        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndArray && reader.CurrentDepth == depth))
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("text"u8))
            {
                reader.Read();
                AppendString(ref reader, text);
            }
        }
    }

    private static void AppendString(ref Utf8JsonReader reader, IBufferWriter<char> text)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return;
        }
        var length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        var span = text.GetSpan(length + 1);
        var written = reader.CopyString(span);
        span[written] = '\n';
        text.Advance(written + 1);
    }

    /// <summary>A value as the model sees it: its JSON text.</summary>
    private static void AppendRaw(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, IBufferWriter<char> text)
    {
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        var raw = body[start..(int)reader.BytesConsumed];
        var span = text.GetSpan(Encoding.UTF8.GetMaxCharCount(raw.Length));
        text.Advance(Encoding.UTF8.GetChars(raw, span));
    }
}
