using System.Text;
using System.Text.Json;

namespace Tollgate.Proxy.Parsing;

/// <summary>Checks the structured options: <c>stream_options</c>, <c>stop</c>, <c>response_format</c>, <c>reasoning_effort</c>, <c>thinking</c>, <c>logit_bias</c>, <c>modalities</c>.</summary>
internal static class OptionsParser
{
    /// <summary>Records where <c>stream_options</c> and its <c>include_usage</c> sit, for the rewrite.</summary>
    public static bool ParseStreamOptions(ref ChatJsonReader reader, ChatRequest request)
    {
        var start = reader.TokenStart;
        if (reader.TokenType == JsonTokenType.Null)
        {
            request.StreamOptionsValue = reader.SpanFrom(start);
            return true;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return reader.MalformedAt("stream_options", "must be an object.");
        }
        reader.Push("stream_options");
        reader.BeginObject();
        var empty = true;
        while (reader.NextProperty())
        {
            empty = false;
            var isIncludeUsage = reader.Is("include_usage"u8);
            reader.Read();
            if (!isIncludeUsage)
            {
                if (!reader.Skip())
                {
                    return false;
                }
                continue;
            }
            if (!reader.ExpectBoolean("include_usage"))
            {
                return false;
            }
            request.ClientIncludeUsage = reader.TokenType == JsonTokenType.True;
            request.IncludeUsageValue = reader.TokenSpan;
        }
        reader.Pop();
        request.StreamOptionsIsEmptyObject = empty;
        request.StreamOptionsValue = reader.SpanFrom(start);
        return !reader.Failed;
    }

    public static bool ParseStop(ref ChatJsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null or JsonTokenType.String:
                return true;
            case JsonTokenType.StartArray:
                while (reader.NextElement())
                {
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        return RejectStop(ref reader);
                    }
                }
                return true;
            default:
                return RejectStop(ref reader);
        }
    }

    public static bool ParseResponseFormat(ref ChatJsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return reader.TokenType == JsonTokenType.Null || reader.MalformedAt("response_format", "must be an object.");
        }
        reader.Push("response_format");
        reader.BeginObject();
        var hasType = false;
        while (reader.NextProperty())
        {
            var isType = reader.Is("type"u8);
            reader.Read();
            hasType |= isType;
            var ok = isType ? IsResponseFormatType(ref reader) || RejectResponseFormatType(ref reader) : reader.Skip();
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
            return RejectResponseFormatType(ref reader);
        }
        reader.Pop();
        return true;
    }

    public static bool ParseReasoningEffort(ref ChatJsonReader reader) =>
        reader.TokenType == JsonTokenType.Null ||
        (reader.TokenType == JsonTokenType.String &&
         (reader.Is("minimal"u8) || reader.Is("low"u8) || reader.Is("medium"u8) || reader.Is("high"u8) ||
          reader.Is("none"u8) || reader.Is("xhigh"u8) || reader.Is("max"u8))) ||
        reader.InvalidAt("reasoning_effort", "must be one of none, minimal, low, medium, high, xhigh, max.");

    public static bool ParseThinking(ref ChatJsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return true;
            case JsonTokenType.String:
                // One provider documents thinking as a string holding the JSON object; accept that spelling too.
                var inner = reader.Embedded(Encoding.UTF8.GetBytes(reader.GetString()));
                if (!inner.Read() || inner.TokenType != JsonTokenType.StartObject)
                {
                    return RejectThinking(ref reader);
                }
                return ParseThinkingObject(ref inner) || reader.Fail(inner.Error!);
            case JsonTokenType.StartObject:
                return ParseThinkingObject(ref reader);
            default:
                return RejectThinking(ref reader);
        }
    }

    public static bool ParseLogitBias(ref ChatJsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return reader.TokenType == JsonTokenType.Null || reader.MalformedAt("logit_bias", "must be an object of token ids to numbers.");
        }
        reader.Push("logit_bias");
        reader.BeginObject();
        while (reader.NextProperty())
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.Number)
            {
                return reader.Malformed("values must be numbers.");
            }
            var value = reader.GetDouble();
            if (value is < -100 or > 100)
            {
                return reader.Invalid("values must be between -100 and 100.");
            }
        }
        reader.Pop();
        return !reader.Failed;
    }

    public static bool ParseModalities(ref ChatJsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return reader.TokenType == JsonTokenType.Null || reader.MalformedAt("modalities", "must be an array of strings.");
        }
        while (reader.NextElement())
        {
            if (reader.TokenType != JsonTokenType.String || !(reader.Is("text"u8) || reader.Is("audio"u8)))
            {
                return reader.InvalidAt("modalities", "entries must be text or audio.");
            }
        }
        return true;
    }

    /// <summary>An option that must be an object (or null) but whose members Tollgate leaves alone: <c>metadata</c>, <c>audio</c>.</summary>
    public static bool ParseOpaqueObject(ref ChatJsonReader reader, string name)
    {
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.Null))
        {
            return reader.MalformedAt(name, "must be an object.");
        }
        reader.Push(name);
        var ok = reader.SkipInPlace();
        reader.Pop();
        return ok;
    }

    private static bool ParseThinkingObject(ref ChatJsonReader reader)
    {
        reader.Push("thinking");
        reader.BeginObject();
        var hasType = false;
        while (reader.NextProperty())
        {
            var isType = reader.Is("type"u8);
            reader.Read();
            hasType |= isType;
            var ok = isType
                ? (reader.TokenType == JsonTokenType.String && (reader.Is("enabled"u8) || reader.Is("disabled"u8))) ||
                  reader.InvalidAt("type", "must be enabled or disabled.")
                : reader.Skip();
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
        reader.Pop();
        return true;
    }

    private static bool IsResponseFormatType(ref ChatJsonReader reader) =>
        reader.TokenType == JsonTokenType.String && (reader.Is("text"u8) || reader.Is("json_object"u8) || reader.Is("json_schema"u8));

    private static bool RejectResponseFormatType(ref ChatJsonReader reader) =>
        reader.InvalidAt("type", "must be text, json_object or json_schema.");

    private static bool RejectStop(ref ChatJsonReader reader) =>
        reader.InvalidAt("stop", "must be a string, an array of strings, or null.");

    private static bool RejectThinking(ref ChatJsonReader reader) =>
        reader.MalformedAt("thinking", "must be an object such as {\"type\":\"enabled\"}.");
}
