using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Tollgate.Usage;

/// <summary>
/// The text of a chat-completion request that a model reads as prompt: message contents (plain or text parts),
/// names, tool-call names and arguments, and the tool and function definitions (as their JSON). Read from the
/// already validated body, only when tokens must be counted by the gateway. Never throws: a string whose escapes
/// spell no text (a lone UTF-16 surrogate such as <c>\udfff</c>, which JSON's grammar allows) is appended as it is
/// written, escapes included, and a name spelled that way matches nothing.
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
                if (Is(ref reader, "messages"u8))
                {
                    reader.Read();
                    messages = ReadMessages(ref reader, body, text);
                }
                else if (Is(ref reader, "tools"u8) || Is(ref reader, "functions"u8))
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
        catch (InvalidOperationException)
        {
            // Likewise for a value the reader cannot give (the names and strings that can throw are handled below).
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
                if (Is(ref reader, "content"u8) || Is(ref reader, "reasoning_content"u8) || Is(ref reader, "refusal"u8))
                {
                    reader.Read();
                    AppendContent(ref reader, text);
                }
                else if (Is(ref reader, "name"u8))
                {
                    reader.Read();
                    AppendString(ref reader, text);
                }
                else if (Is(ref reader, "tool_calls"u8) || Is(ref reader, "function_call"u8))
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
            if (reader.TokenType == JsonTokenType.PropertyName && Is(ref reader, "text"u8))
            {
                reader.Read();
                AppendString(ref reader, text);
            }
        }
    }

    /// <summary>True when the current property name is <paramref name="name"/>; false for a name whose escapes spell no text.</summary>
    private static bool Is(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        if (!reader.ValueIsEscaped)
        {
            return reader.ValueSpan.SequenceEqual(name);
        }
        try
        {
            return reader.ValueTextEquals(name);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static void AppendString(ref Utf8JsonReader reader, IBufferWriter<char> text)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return;
        }
        // The reader runs over one contiguous span: the value is ValueSpan. Unescaped text is never longer than escaped.
        var raw = reader.ValueSpan;
        var span = text.GetSpan(Encoding.UTF8.GetMaxCharCount(raw.Length) + 1);
        int written;
        if (!reader.ValueIsEscaped)
        {
            written = Encoding.UTF8.GetChars(raw, span);
        }
        else
        {
            try
            {
                written = reader.CopyString(span);
            }
            catch (InvalidOperationException)
            {
                // An escape that spells no text (a lone surrogate): counted as written.
                written = Encoding.UTF8.GetChars(raw, span);
            }
        }
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
