using System.Text.Json;
using Tollgate.Errors;
using Tollgate.Json;

namespace Tollgate.Proxy;

/// <summary>
/// One forward pass over a chat-completion body with <see cref="Utf8JsonReader"/>: checks the shapes and
/// ranges the provider docs constrain, rejects duplicate keys at every depth, and records where the fields
/// Tollgate rewrites sit. Unknown fields are walked (for duplicates) and otherwise left alone.
/// </summary>
public static class ChatRequestParser
{
    public const int MaxDepth = 64;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth };

    /// <summary>Parses <paramref name="body"/>; returns null and the request when it is acceptable, otherwise the error to answer.</summary>
    public static ApiError? TryParse(ReadOnlySpan<byte> body, out ChatRequest request)
    {
        request = new ChatRequest();
        if (body.IsEmpty)
        {
            return ApiErrors.Malformed("The request body is empty; send a JSON object with 'model' and 'messages'.");
        }
        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            // The reader checks structure, not the bytes inside strings: without this, invalid text would reach the upstream.
            return ApiErrors.Malformed("The request body is not valid UTF-8.");
        }

        var tracker = DuplicateKeyTracker.Rent();
        try
        {
            var reader = new Utf8JsonReader(body, ReaderOptions);
            ParseRoot(ref reader, tracker, request);
            if (reader.Read())
            {
                return ApiErrors.Malformed("The request body has content after the JSON object.");
            }
            return null;
        }
        catch (RequestRejectedException e)
        {
            return e.Error;
        }
        catch (JsonException)
        {
            return ApiErrors.Malformed("The request body is not valid JSON (or nests deeper than " + MaxDepth + " levels).");
        }
        catch (InvalidOperationException)
        {
            return ApiErrors.Malformed("The request body is not valid JSON.");
        }
        finally
        {
            DuplicateKeyTracker.Return(tracker);
        }
    }

    private static void ParseRoot(ref Utf8JsonReader reader, DuplicateKeyTracker tracker, ChatRequest request)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw Shape("The request body must be a JSON object.", null);
        }
        request.RootStart = (int)reader.TokenStartIndex;
        tracker.BeginObject();
        var sawModel = false;
        var sawMessages = false;

        while (NextProperty(ref reader, tracker, null))
        {
            if (reader.ValueTextEquals("model"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    throw Shape("'model' must be a string.", "model");
                }
                var model = reader.GetString()!;
                if (model.Length == 0 || model.Length > 256)
                {
                    throw Shape("'model' must be a non-empty string of at most 256 characters.", "model");
                }
                request.Model = model;
                request.ModelValue = new ByteSpan((int)reader.TokenStartIndex, (int)reader.BytesConsumed - (int)reader.TokenStartIndex);
                sawModel = true;
            }
            else if (reader.ValueTextEquals("messages"u8))
            {
                reader.Read();
                ParseMessages(ref reader, tracker, request);
                sawMessages = true;
            }
            else if (reader.ValueTextEquals("stream"u8))
            {
                reader.Read();
                request.Stream = ReadOptionalBool(ref reader, "stream") ?? false;
            }
            else if (reader.ValueTextEquals("stream_options"u8))
            {
                reader.Read();
                ParseStreamOptions(ref reader, tracker, request);
            }
            else if (reader.ValueTextEquals("temperature"u8))
            {
                reader.Read();
                RangeNumber(ref reader, "temperature", 0, 2);
            }
            else if (reader.ValueTextEquals("top_p"u8))
            {
                reader.Read();
                RangeNumber(ref reader, "top_p", 0, 1);
            }
            else if (reader.ValueTextEquals("presence_penalty"u8))
            {
                reader.Read();
                RangeNumber(ref reader, "presence_penalty", -2, 2);
            }
            else if (reader.ValueTextEquals("frequency_penalty"u8))
            {
                reader.Read();
                RangeNumber(ref reader, "frequency_penalty", -2, 2);
            }
            else if (reader.ValueTextEquals("n"u8))
            {
                reader.Read();
                RangeInteger(ref reader, "n", 1, 128);
            }
            else if (reader.ValueTextEquals("top_logprobs"u8))
            {
                reader.Read();
                RangeInteger(ref reader, "top_logprobs", 0, 20);
            }
            else if (reader.ValueTextEquals("top_k"u8))
            {
                reader.Read();
                RangeInteger(ref reader, "top_k", 1, long.MaxValue);
            }
            else if (reader.ValueTextEquals("max_tokens"u8))
            {
                reader.Read();
                RangeInteger(ref reader, "max_tokens", 1, long.MaxValue);
            }
            else if (reader.ValueTextEquals("max_completion_tokens"u8))
            {
                reader.Read();
                RangeInteger(ref reader, "max_completion_tokens", 1, long.MaxValue);
            }
            else if (reader.ValueTextEquals("seed"u8))
            {
                reader.Read();
                RangeInteger(ref reader, "seed", long.MinValue, long.MaxValue);
            }
            else if (reader.ValueTextEquals("logprobs"u8))
            {
                reader.Read();
                ReadOptionalBool(ref reader, "logprobs");
            }
            else if (reader.ValueTextEquals("parallel_tool_calls"u8))
            {
                reader.Read();
                ReadOptionalBool(ref reader, "parallel_tool_calls");
            }
            else if (reader.ValueTextEquals("user"u8))
            {
                reader.Read();
                RequireStringOrNull(ref reader, "user");
            }
            else if (reader.ValueTextEquals("stop"u8))
            {
                reader.Read();
                ParseStop(ref reader);
            }
            else if (reader.ValueTextEquals("tools"u8))
            {
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                ParseTools(ref reader, tracker);
                request.PromptTextBytes += (int)reader.BytesConsumed - start;
            }
            else if (reader.ValueTextEquals("tool_choice"u8))
            {
                reader.Read();
                ParseToolChoice(ref reader, tracker);
            }
            else if (reader.ValueTextEquals("response_format"u8))
            {
                reader.Read();
                ParseResponseFormat(ref reader, tracker);
            }
            else if (reader.ValueTextEquals("reasoning_effort"u8))
            {
                reader.Read();
                ParseReasoningEffort(ref reader);
            }
            else if (reader.ValueTextEquals("thinking"u8))
            {
                reader.Read();
                ParseThinking(ref reader, tracker);
            }
            else if (reader.ValueTextEquals("logit_bias"u8))
            {
                reader.Read();
                ParseLogitBias(ref reader, tracker);
            }
            else if (reader.ValueTextEquals("modalities"u8))
            {
                reader.Read();
                ParseModalities(ref reader);
            }
            else if (reader.ValueTextEquals("metadata"u8) || reader.ValueTextEquals("audio"u8))
            {
                var name = reader.ValueTextEquals("audio"u8) ? "audio" : "metadata";
                reader.Read();
                if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.Null))
                {
                    throw Shape($"'{name}' must be an object.", name);
                }
                SkipChecked(ref reader, tracker, name);
            }
            else
            {
                reader.Read();
                SkipChecked(ref reader, tracker, null);
            }
        }

        if (!sawModel)
        {
            throw Shape("You must provide a model parameter ('model').", "model");
        }
        if (!sawMessages)
        {
            throw Shape("You must provide a messages parameter ('messages').", "messages");
        }
    }

    private static void ParseMessages(ref Utf8JsonReader reader, DuplicateKeyTracker tracker, ChatRequest request)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw Shape("'messages' must be an array of message objects.", "messages");
        }
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            ParseMessage(ref reader, tracker, request, index++);
        }
        if (index == 0)
        {
            throw Shape("'messages' must contain at least one message.", "messages");
        }
        request.MessageCount = index;
    }

    private static void ParseMessage(ref Utf8JsonReader reader, DuplicateKeyTracker tracker, ChatRequest request, int index)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Shape($"'messages[{index}]' must be an object.", $"messages[{index}]");
        }
        tracker.BeginObject();
        var path = $"messages[{index}]";
        string? role = null;
        var hasContent = false;
        var hasToolCalls = false;
        var hasToolCallId = false;
        var hasOtherAssistantOutput = false;

        while (NextProperty(ref reader, tracker, path))
        {
            if (reader.ValueTextEquals("role"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    throw Shape($"'messages[{index}].role' must be a string.", $"messages[{index}].role");
                }
                role = KnownRole(ref reader) ?? throw Invalid(
                    $"'messages[{index}].role' must be one of system, developer, user, assistant, tool, function.",
                    $"messages[{index}].role");
            }
            else if (reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                hasContent = reader.TokenType != JsonTokenType.Null;
                request.PromptTextBytes += ParseContent(ref reader, tracker, index);
            }
            else if (reader.ValueTextEquals("name"u8))
            {
                reader.Read();
                RequireStringOrNull(ref reader, $"messages[{index}].name");
            }
            else if (reader.ValueTextEquals("tool_calls"u8))
            {
                reader.Read();
                hasToolCalls = reader.TokenType != JsonTokenType.Null;
                request.PromptTextBytes += ParseToolCalls(ref reader, tracker, index);
            }
            else if (reader.ValueTextEquals("tool_call_id"u8))
            {
                reader.Read();
                RequireStringOrNull(ref reader, $"messages[{index}].tool_call_id");
                hasToolCallId = reader.TokenType == JsonTokenType.String;
            }
            else if (reader.ValueTextEquals("reasoning_content"u8))
            {
                reader.Read();
                RequireStringOrNull(ref reader, $"messages[{index}].reasoning_content");
                if (reader.TokenType == JsonTokenType.String)
                {
                    hasOtherAssistantOutput = true;
                    request.PromptTextBytes += reader.ValueSpan.Length;
                }
            }
            else
            {
                if (reader.ValueTextEquals("function_call"u8) || reader.ValueTextEquals("audio"u8) || reader.ValueTextEquals("refusal"u8))
                {
                    hasOtherAssistantOutput = true;
                }
                reader.Read();
                SkipChecked(ref reader, tracker, null);
            }
        }

        switch (role)
        {
            case null:
                throw Shape($"'messages[{index}].role' is required.", $"messages[{index}].role");
            case "tool" when !hasToolCallId:
                throw Shape($"'messages[{index}].tool_call_id' is required for tool messages.", $"messages[{index}].tool_call_id");
            case "assistant" when !hasContent && !hasToolCalls && !hasOtherAssistantOutput:
                throw Shape($"'messages[{index}].content' is required unless the assistant message has tool_calls.", $"messages[{index}].content");
            case "system" or "developer" or "user" or "tool" when !hasContent:
                throw Shape($"'messages[{index}].content' is required for {role} messages.", $"messages[{index}].content");
        }
    }

    private static string? KnownRole(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("user"u8)) return "user";
        if (reader.ValueTextEquals("assistant"u8)) return "assistant";
        if (reader.ValueTextEquals("system"u8)) return "system";
        if (reader.ValueTextEquals("tool"u8)) return "tool";
        if (reader.ValueTextEquals("developer"u8)) return "developer";
        if (reader.ValueTextEquals("function"u8)) return "function";
        return null;
    }

    /// <summary>Content is a string, null, or an array of typed parts; returns the text bytes it carries.</summary>
    private static long ParseContent(ref Utf8JsonReader reader, DuplicateKeyTracker tracker, int index)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return 0;
            case JsonTokenType.String:
                return reader.ValueSpan.Length;
            case JsonTokenType.StartArray:
                break;
            default:
                throw Shape($"'messages[{index}].content' must be a string or an array of content parts.", $"messages[{index}].content");
        }

        long bytes = 0;
        var part = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var path = $"messages[{index}].content[{part}]";
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw Shape($"'{path}' must be an object with a 'type'.", path);
            }
            tracker.BeginObject();
            var hasType = false;
            var isText = false;
            var hasText = false;
            while (NextProperty(ref reader, tracker, path))
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        throw Shape($"'{path}.type' must be a string.", path + ".type");
                    }
                    hasType = true;
                    isText = reader.ValueTextEquals("text"u8);
                }
                else if (reader.ValueTextEquals("text"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        throw Shape($"'{path}.text' must be a string.", path + ".text");
                    }
                    hasText = true;
                    bytes += reader.ValueSpan.Length;
                }
                else
                {
                    reader.Read();
                    SkipChecked(ref reader, tracker, null);
                }
            }
            if (!hasType)
            {
                throw Shape($"'{path}.type' is required.", path + ".type");
            }
            if (isText && !hasText)
            {
                throw Shape($"'{path}.text' is required for text parts.", path + ".text");
            }
            part++;
        }
        return bytes;
    }

    private static long ParseToolCalls(ref Utf8JsonReader reader, DuplicateKeyTracker tracker, int index)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return 0;
        }
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw Shape($"'messages[{index}].tool_calls' must be an array.", $"messages[{index}].tool_calls");
        }
        long bytes = 0;
        var call = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var path = $"messages[{index}].tool_calls[{call}]";
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw Shape($"'{path}' must be an object.", path);
            }
            tracker.BeginObject();
            while (NextProperty(ref reader, tracker, path))
            {
                if (reader.ValueTextEquals("function"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        throw Shape($"'{path}.function' must be an object.", path + ".function");
                    }
                    tracker.BeginObject();
                    while (NextProperty(ref reader, tracker, path + ".function"))
                    {
                        var isName = reader.ValueTextEquals("name"u8);
                        var isArguments = !isName && reader.ValueTextEquals("arguments"u8);
                        reader.Read();
                        if (isName || isArguments)
                        {
                            RequireStringOrNull(ref reader, path + (isName ? ".function.name" : ".function.arguments"));
                            bytes += reader.TokenType == JsonTokenType.String ? reader.ValueSpan.Length : 0;
                        }
                        else
                        {
                            SkipChecked(ref reader, tracker, null);
                        }
                    }
                }
                else if (reader.ValueTextEquals("id"u8) || reader.ValueTextEquals("type"u8))
                {
                    var field = reader.ValueTextEquals("id"u8) ? ".id" : ".type";
                    reader.Read();
                    RequireStringOrNull(ref reader, path + field);
                }
                else
                {
                    reader.Read();
                    SkipChecked(ref reader, tracker, null);
                }
            }
            call++;
        }
        return bytes;
    }

    private static void ParseStreamOptions(ref Utf8JsonReader reader, DuplicateKeyTracker tracker, ChatRequest request)
    {
        var start = (int)reader.TokenStartIndex;
        if (reader.TokenType == JsonTokenType.Null)
        {
            request.StreamOptionsValue = new ByteSpan(start, 4);
            return;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Shape("'stream_options' must be an object.", "stream_options");
        }
        tracker.BeginObject();
        var empty = true;
        while (NextProperty(ref reader, tracker, "stream_options"))
        {
            empty = false;
            if (reader.ValueTextEquals("include_usage"u8))
            {
                reader.Read();
                var value = ReadOptionalBool(ref reader, "stream_options.include_usage");
                request.ClientIncludeUsage = value ?? false;
                request.IncludeUsageValue = new ByteSpan((int)reader.TokenStartIndex, (int)reader.BytesConsumed - (int)reader.TokenStartIndex);
            }
            else
            {
                reader.Read();
                SkipChecked(ref reader, tracker, null);
            }
        }
        request.StreamOptionsIsEmptyObject = empty;
        request.StreamOptionsValue = new ByteSpan(start, (int)reader.BytesConsumed - start);
    }

    private static void ParseStop(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null or JsonTokenType.String:
                return;
            case JsonTokenType.StartArray:
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        throw Invalid("'stop' must be a string, an array of strings, or null.", "stop");
                    }
                }
                return;
            default:
                throw Invalid("'stop' must be a string, an array of strings, or null.", "stop");
        }
    }

    private static void ParseTools(ref Utf8JsonReader reader, DuplicateKeyTracker tracker)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw Shape("'tools' must be an array.", "tools");
        }
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var path = $"tools[{index}]";
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw Shape($"'{path}' must be an object.", path);
            }
            tracker.BeginObject();
            var isFunction = true;
            var hasFunction = false;
            while (NextProperty(ref reader, tracker, path))
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        throw Shape($"'{path}.type' must be a string.", path + ".type");
                    }
                    isFunction = reader.ValueTextEquals("function"u8);
                }
                else if (reader.ValueTextEquals("function"u8))
                {
                    reader.Read();
                    hasFunction = true;
                    ParseFunctionDefinition(ref reader, tracker, path + ".function");
                }
                else
                {
                    reader.Read();
                    SkipChecked(ref reader, tracker, null);
                }
            }
            if (isFunction && !hasFunction)
            {
                throw Shape($"'{path}.function' is required for function tools.", path + ".function");
            }
            index++;
        }
    }

    private static void ParseFunctionDefinition(ref Utf8JsonReader reader, DuplicateKeyTracker tracker, string path)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Shape($"'{path}' must be an object.", path);
        }
        tracker.BeginObject();
        var hasName = false;
        while (NextProperty(ref reader, tracker, path))
        {
            if (reader.ValueTextEquals("name"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    throw Shape($"'{path}.name' must be a string.", path + ".name");
                }
                if (!IsValidToolName(ref reader))
                {
                    throw Invalid($"'{path}.name' must be 1 to 64 characters of letters, digits, '_' or '-'.", path + ".name");
                }
                hasName = true;
            }
            else if (reader.ValueTextEquals("description"u8))
            {
                reader.Read();
                RequireStringOrNull(ref reader, path + ".description");
            }
            else if (reader.ValueTextEquals("parameters"u8))
            {
                reader.Read();
                if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.Null))
                {
                    throw Shape($"'{path}.parameters' must be a JSON Schema object.", path + ".parameters");
                }
                SkipChecked(ref reader, tracker, null);
            }
            else
            {
                reader.Read();
                SkipChecked(ref reader, tracker, null);
            }
        }
        if (!hasName)
        {
            throw Shape($"'{path}.name' is required.", path + ".name");
        }
    }

    private static bool IsValidToolName(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped || reader.HasValueSequence)
        {
            return false;
        }
        var name = reader.ValueSpan;
        if (name.Length is 0 or > 64)
        {
            return false;
        }
        foreach (var c in name)
        {
            var ok = c is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9') or (byte)'_' or (byte)'-';
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    private static void ParseToolChoice(ref Utf8JsonReader reader, DuplicateKeyTracker tracker)
    {
        const string Message = "'tool_choice' must be none, auto, required, or {\"type\":\"function\",\"function\":{\"name\":...}}.";
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return;
            case JsonTokenType.String:
                if (!(reader.ValueTextEquals("none"u8) || reader.ValueTextEquals("auto"u8) || reader.ValueTextEquals("required"u8)))
                {
                    throw Invalid(Message, "tool_choice");
                }
                return;
            case JsonTokenType.StartObject:
                break;
            default:
                throw Invalid(Message, "tool_choice");
        }

        tracker.BeginObject();
        var isFunction = false;
        var hasType = false;
        var hasFunctionName = false;
        while (NextProperty(ref reader, tracker, "tool_choice"))
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    throw Invalid(Message, "tool_choice.type");
                }
                hasType = true;
                isFunction = reader.ValueTextEquals("function"u8);
            }
            else if (reader.ValueTextEquals("function"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    throw Invalid(Message, "tool_choice.function");
                }
                tracker.BeginObject();
                while (NextProperty(ref reader, tracker, "tool_choice.function"))
                {
                    var isName = reader.ValueTextEquals("name"u8);
                    reader.Read();
                    if (isName)
                    {
                        if (reader.TokenType != JsonTokenType.String || !IsValidToolName(ref reader))
                        {
                            throw Invalid("'tool_choice.function.name' must name a function tool.", "tool_choice.function.name");
                        }
                        hasFunctionName = true;
                    }
                    else
                    {
                        SkipChecked(ref reader, tracker, null);
                    }
                }
            }
            else
            {
                reader.Read();
                SkipChecked(ref reader, tracker, null);
            }
        }
        if (!hasType || (isFunction && !hasFunctionName))
        {
            throw Invalid(Message, "tool_choice");
        }
    }

    private static void ParseResponseFormat(ref Utf8JsonReader reader, DuplicateKeyTracker tracker)
    {
        const string Message = "'response_format.type' must be text, json_object or json_schema.";
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Shape("'response_format' must be an object.", "response_format");
        }
        tracker.BeginObject();
        var hasType = false;
        while (NextProperty(ref reader, tracker, "response_format"))
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String ||
                    !(reader.ValueTextEquals("text"u8) || reader.ValueTextEquals("json_object"u8) || reader.ValueTextEquals("json_schema"u8)))
                {
                    throw Invalid(Message, "response_format.type");
                }
                hasType = true;
            }
            else
            {
                reader.Read();
                SkipChecked(ref reader, tracker, null);
            }
        }
        if (!hasType)
        {
            throw Invalid(Message, "response_format.type");
        }
    }

    private static void ParseReasoningEffort(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }
        if (reader.TokenType != JsonTokenType.String ||
            !(reader.ValueTextEquals("minimal"u8) || reader.ValueTextEquals("low"u8) || reader.ValueTextEquals("medium"u8) ||
              reader.ValueTextEquals("high"u8) || reader.ValueTextEquals("none"u8) || reader.ValueTextEquals("xhigh"u8) ||
              reader.ValueTextEquals("max"u8)))
        {
            throw Invalid("'reasoning_effort' must be one of none, minimal, low, medium, high, xhigh, max.", "reasoning_effort");
        }
    }

    private static void ParseThinking(ref Utf8JsonReader reader, DuplicateKeyTracker tracker)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return;
            case JsonTokenType.String:
                // One provider documents thinking as a string holding the JSON object; accept that spelling too.
                var inner = reader.GetString()!;
                var innerReader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(inner), ReaderOptions);
                if (!innerReader.Read() || innerReader.TokenType != JsonTokenType.StartObject)
                {
                    throw Shape("'thinking' must be an object such as {\"type\":\"enabled\"}.", "thinking");
                }
                var innerTracker = new DuplicateKeyTracker();
                ParseThinkingObject(ref innerReader, innerTracker);
                return;
            case JsonTokenType.StartObject:
                ParseThinkingObject(ref reader, tracker);
                return;
            default:
                throw Shape("'thinking' must be an object such as {\"type\":\"enabled\"}.", "thinking");
        }
    }

    private static void ParseThinkingObject(ref Utf8JsonReader reader, DuplicateKeyTracker tracker)
    {
        tracker.BeginObject();
        var hasType = false;
        while (NextProperty(ref reader, tracker, "thinking"))
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String || !(reader.ValueTextEquals("enabled"u8) || reader.ValueTextEquals("disabled"u8)))
                {
                    throw Invalid("'thinking.type' must be enabled or disabled.", "thinking.type");
                }
                hasType = true;
            }
            else
            {
                reader.Read();
                SkipChecked(ref reader, tracker, null);
            }
        }
        if (!hasType)
        {
            throw Shape("'thinking.type' is required.", "thinking.type");
        }
    }

    private static void ParseLogitBias(ref Utf8JsonReader reader, DuplicateKeyTracker tracker)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Shape("'logit_bias' must be an object of token ids to numbers.", "logit_bias");
        }
        tracker.BeginObject();
        while (NextProperty(ref reader, tracker, "logit_bias"))
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.Number)
            {
                throw Shape("'logit_bias' values must be numbers.", "logit_bias");
            }
            var value = reader.GetDouble();
            if (value is < -100 or > 100)
            {
                throw Invalid("'logit_bias' values must be between -100 and 100.", "logit_bias");
            }
        }
    }

    private static void ParseModalities(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw Shape("'modalities' must be an array of strings.", "modalities");
        }
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String || !(reader.ValueTextEquals("text"u8) || reader.ValueTextEquals("audio"u8)))
            {
                throw Invalid("'modalities' entries must be text or audio.", "modalities");
            }
        }
    }

    /// <summary>Walks any value, checking every object in it for duplicate keys.</summary>
    private static void SkipChecked(ref Utf8JsonReader reader, DuplicateKeyTracker tracker, string? path)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                tracker.BeginObject();
                while (NextProperty(ref reader, tracker, path))
                {
                    reader.Read();
                    SkipChecked(ref reader, tracker, path);
                }
                return;
            case JsonTokenType.StartArray:
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    SkipChecked(ref reader, tracker, path);
                }
                return;
            default:
                return;
        }
    }

    /// <summary>Moves to the next property name of the current object; false (and the frame closed) at its end.</summary>
    private static bool NextProperty(ref Utf8JsonReader reader, DuplicateKeyTracker tracker, string? path)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.EndObject)
        {
            tracker.EndObject();
            return false;
        }
        if (!tracker.TryAdd(ref reader))
        {
            var name = reader.GetString();
            var where = path is null ? name : $"{path}.{name}";
            throw Shape($"The property '{ApiErrors.Truncate(where ?? "", 128)}' appears more than once; duplicate keys are ambiguous and not accepted.", where);
        }
        return true;
    }

    private static bool? ReadOptionalBool(ref Utf8JsonReader reader, string param) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        JsonTokenType.Null => null,
        _ => throw Shape($"'{param}' must be a boolean.", param),
    };

    private static void RequireStringOrNull(ref Utf8JsonReader reader, string param)
    {
        if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null))
        {
            throw Shape($"'{param}' must be a string.", param);
        }
    }

    private static void RangeNumber(ref Utf8JsonReader reader, string param, double min, double max)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw Shape($"'{param}' must be a number.", param);
        }
        var value = reader.GetDouble();
        if (!(value >= min && value <= max))
        {
            throw Invalid($"'{param}' must be between {min} and {max}.", param);
        }
    }

    private static void RangeInteger(ref Utf8JsonReader reader, string param, long min, long max)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw Shape($"'{param}' must be an integer.", param);
        }
        if (!reader.TryGetInt64(out var value))
        {
            throw Invalid($"'{param}' must be an integer.", param);
        }
        if (value < min || value > max)
        {
            var range = max == long.MaxValue ? $"at least {min}" : $"between {min} and {max}";
            throw Invalid($"'{param}' must be {range}.", param);
        }
    }

    private static RequestRejectedException Shape(string message, string? param) => new(ApiErrors.Malformed(message, param));

    private static RequestRejectedException Invalid(string message, string param) => new(ApiErrors.InvalidValue(message, param));
}
