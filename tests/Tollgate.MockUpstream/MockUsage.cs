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
                    bytes += System.Text.Encoding.UTF8.GetByteCount(content.GetString()!);
                }
            }
        }
        return 7 + bytes / 4;
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
