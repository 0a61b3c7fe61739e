using System.Text.Json;

namespace Tollgate.MockUpstream;

/// <summary>Deterministic token figures: prompt from the request's text, completion from the chunks sent.</summary>
public static class MockUsage
{
    public static int PromptTokens(JsonElement request)
    {
        var bytes = 0;
        if (request.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in messages.EnumerateArray())
            {
                if (message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                {
                    bytes += TextBytes(content);
                }
            }
        }
        return 7 + bytes / 4;
    }

    /// <summary>
    /// The UTF-8 size of a string's text; for text whose escapes spell no UTF-16 (a lone surrogate, which JSON allows and
    /// a provider may accept), the size as written, as a provider that counts it some way rather than failing would.
    /// </summary>
    private static int TextBytes(JsonElement text)
    {
        try
        {
            return System.Text.Encoding.UTF8.GetByteCount(text.GetString()!);
        }
        catch (InvalidOperationException)
        {
            return System.Text.Encoding.UTF8.GetByteCount(text.GetRawText()) - 2;
        }
    }

    public static void Write(Utf8JsonWriter writer, int prompt, int completion, MockBehavior behavior)
    {
        writer.WriteStartObject("usage");
        writer.WriteNumber("prompt_tokens", prompt);
        writer.WriteNumber("completion_tokens", completion);
        writer.WriteNumber("total_tokens", prompt + completion);
        if (behavior.Details || behavior.Reasoning)
        {
            writer.WriteStartObject("prompt_tokens_details");
            writer.WriteNumber("cached_tokens", behavior.Details ? 3 : 0);
            writer.WriteEndObject();
            writer.WriteStartObject("completion_tokens_details");
            writer.WriteNumber("reasoning_tokens", behavior.Reasoning ? 2 : 0);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }
}
