using System.Text.Json;

namespace Tollgate.Proxy.Parsing;

/// <summary>Checks <c>messages</c>: an array of role-tagged objects whose required fields depend on the role.</summary>
internal static class MessagesParser
{
    public static bool Parse(ref ChatJsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return reader.MalformedAt("messages", "must be an array of message objects.");
        }
        if (!reader.Elements("messages", ParseMessage, out var count))
        {
            return false;
        }
        return count > 0 || reader.MalformedAt("messages", "must contain at least one message.");
    }

    private static bool ParseMessage(ref ChatJsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return reader.Malformed("must be an object.");
        }
        reader.BeginObject();
        string? role = null;
        var hasContent = false;
        var hasToolCalls = false;
        var hasToolCallId = false;
        var hasOtherAssistantOutput = false;

        while (reader.NextProperty())
        {
            bool ok;
            if (reader.Is("role"u8))
            {
                reader.Read();
                ok = ParseRole(ref reader, out role);
            }
            else if (reader.Is("content"u8))
            {
                reader.Read();
                hasContent = reader.TokenType != JsonTokenType.Null;
                ok = ParseContent(ref reader);
            }
            else if (reader.Is("name"u8))
            {
                reader.Read();
                ok = reader.ExpectStringOrNull("name");
            }
            else if (reader.Is("tool_calls"u8))
            {
                reader.Read();
                hasToolCalls = reader.TokenType != JsonTokenType.Null;
                ok = ParseToolCalls(ref reader);
            }
            else if (reader.Is("tool_call_id"u8))
            {
                reader.Read();
                ok = reader.ExpectStringOrNull("tool_call_id");
                hasToolCallId = reader.TokenType == JsonTokenType.String;
            }
            else if (reader.Is("reasoning_content"u8))
            {
                reader.Read();
                ok = reader.ExpectStringOrNull("reasoning_content");
                hasOtherAssistantOutput |= reader.TokenType == JsonTokenType.String;
            }
            else
            {
                hasOtherAssistantOutput |= reader.Is("function_call"u8) || reader.Is("audio"u8) || reader.Is("refusal"u8);
                ok = reader.SkipMember();
            }
            if (!ok)
            {
                return false;
            }
        }
        if (reader.Failed)
        {
            return false;
        }

        return role switch
        {
            null => reader.MalformedAt("role", "is required."),
            "tool" when !hasToolCallId => reader.MalformedAt("tool_call_id", "is required for tool messages."),
            "assistant" when !hasContent && !hasToolCalls && !hasOtherAssistantOutput =>
                reader.MalformedAt("content", "is required unless the assistant message has tool_calls."),
            "system" or "developer" or "user" or "tool" when !hasContent => reader.MalformedAt("content", "is required for " + role + " messages."),
            _ => true,
        };
    }

    private static bool ParseRole(ref ChatJsonReader reader, out string? role)
    {
        role = null;
        if (reader.TokenType != JsonTokenType.String)
        {
            return reader.MalformedAt("role", "must be a string.");
        }
        role = KnownRole(ref reader);
        return role is not null || reader.InvalidAt("role", "must be one of system, developer, user, assistant, tool, function.");
    }

    private static string? KnownRole(ref ChatJsonReader reader)
    {
        return reader.Is("user"u8) ? "user"
            : reader.Is("assistant"u8) ? "assistant"
            : reader.Is("system"u8) ? "system"
            : reader.Is("tool"u8) ? "tool"
            : reader.Is("developer"u8) ? "developer"
            : reader.Is("function"u8) ? "function"
            : null;
    }

    /// <summary>Content is a string, null, or an array of typed parts.</summary>
    private static bool ParseContent(ref ChatJsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null or JsonTokenType.String:
                return true;
            case JsonTokenType.StartArray:
                break;
            default:
                return reader.MalformedAt("content", "must be a string or an array of content parts.");
        }

        return reader.Elements("content", ParseContentPart, out _);
    }

    private static bool ParseContentPart(ref ChatJsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return reader.Malformed("must be an object with a 'type'.");
        }
        reader.BeginObject();
        var hasType = false;
        var isText = false;
        var hasText = false;
        while (reader.NextProperty())
        {
            bool ok;
            if (reader.Is("type"u8))
            {
                reader.Read();
                hasType = true;
                isText = reader.TokenType == JsonTokenType.String && reader.Is("text"u8);
                ok = reader.TokenType == JsonTokenType.String || reader.MalformedAt("type", "must be a string.");
            }
            else if (reader.Is("text"u8))
            {
                reader.Read();
                hasText = true;
                ok = reader.TokenType == JsonTokenType.String || reader.MalformedAt("text", "must be a string.");
            }
            else
            {
                ok = reader.SkipMember();
            }
            if (!ok)
            {
                return false;
            }
        }
        if (reader.Failed)
        {
            return false;
        }
        if (!hasType)
        {
            return reader.MalformedAt("type", "is required.");
        }
        return !isText || hasText || reader.MalformedAt("text", "is required for text parts.");
    }

    private static bool ParseToolCalls(ref ChatJsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return reader.TokenType == JsonTokenType.Null || reader.MalformedAt("tool_calls", "must be an array.");
        }
        return reader.Elements("tool_calls", ParseToolCall, out _);
    }

    private static bool ParseToolCall(ref ChatJsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return reader.Malformed("must be an object.");
        }
        reader.BeginObject();
        while (reader.NextProperty())
        {
            bool ok;
            if (reader.Is("function"u8))
            {
                reader.Read();
                ok = ParseCalledFunction(ref reader);
            }
            else if (reader.Is("id"u8) || reader.Is("type"u8))
            {
                var field = reader.Is("id"u8) ? "id" : "type";
                reader.Read();
                ok = reader.ExpectStringOrNull(field);
            }
            else
            {
                ok = reader.SkipMember();
            }
            if (!ok)
            {
                return false;
            }
        }
        return !reader.Failed;
    }

    private static bool ParseCalledFunction(ref ChatJsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return reader.MalformedAt("function", "must be an object.");
        }
        reader.Push("function");
        reader.BeginObject();
        while (reader.NextProperty())
        {
            var field = reader.Is("name"u8) ? "name" : reader.Is("arguments"u8) ? "arguments" : null;
            reader.Read();
            if (!(field is null ? reader.Skip() : reader.ExpectStringOrNull(field)))
            {
                return false;
            }
        }
        reader.Pop();
        return !reader.Failed;
    }
}
