using System.Text.Json;
using Tollgate.Errors;

namespace Tollgate.Proxy.Parsing;

/// <summary>Checks <c>tools</c> (function definitions) and <c>tool_choice</c>.</summary>
internal static class ToolsParser
{
    private const string ToolChoiceRule = "'tool_choice' must be none, auto, required, or {\"type\":\"function\",\"function\":{\"name\":...}}.";

    public static bool ParseTools(ref ChatJsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return reader.TokenType == JsonTokenType.Null || reader.MalformedAt("tools", "must be an array.");
        }
        return reader.Elements("tools", ParseTool, out _);
    }

    public static bool ParseToolChoice(ref ChatJsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return true;
            case JsonTokenType.String:
                return reader.Is("none"u8) || reader.Is("auto"u8) || reader.Is("required"u8) || RejectToolChoice(ref reader, "tool_choice");
            case JsonTokenType.StartObject:
                break;
            default:
                return RejectToolChoice(ref reader, "tool_choice");
        }

        reader.Push("tool_choice");
        reader.BeginObject();
        var hasType = false;
        var isFunction = false;
        var hasFunctionName = false;
        while (reader.NextProperty())
        {
            bool ok;
            if (reader.Is("type"u8))
            {
                reader.Read();
                hasType = true;
                ok = reader.TokenType == JsonTokenType.String || RejectToolChoice(ref reader, "tool_choice.type");
                isFunction = ok && reader.Is("function"u8);
            }
            else if (reader.Is("function"u8))
            {
                reader.Read();
                ok = ParseChosenFunction(ref reader, ref hasFunctionName);
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
        reader.Pop();
        return (hasType && (!isFunction || hasFunctionName)) || RejectToolChoice(ref reader, "tool_choice");
    }

    private static bool ParseTool(ref ChatJsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return reader.Malformed("must be an object.");
        }
        reader.BeginObject();
        var isFunction = true;
        var hasFunction = false;
        while (reader.NextProperty())
        {
            bool ok;
            if (reader.Is("type"u8))
            {
                reader.Read();
                ok = reader.TokenType == JsonTokenType.String || reader.MalformedAt("type", "must be a string.");
                isFunction = ok && reader.Is("function"u8);
            }
            else if (reader.Is("function"u8))
            {
                reader.Read();
                hasFunction = true;
                ok = ParseFunctionDefinition(ref reader);
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
        return !isFunction || hasFunction || reader.MalformedAt("function", "is required for function tools.");
    }

    private static bool ParseFunctionDefinition(ref ChatJsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return reader.MalformedAt("function", "must be an object.");
        }
        reader.Push("function");
        reader.BeginObject();
        var hasName = false;
        while (reader.NextProperty())
        {
            bool ok;
            if (reader.Is("name"u8))
            {
                reader.Read();
                hasName = true;
                ok = reader.TokenType == JsonTokenType.String
                    ? IsValidToolName(ref reader) || reader.InvalidAt("name", "must be 1 to 64 characters of letters, digits, '_' or '-'.")
                    : reader.MalformedAt("name", "must be a string.");
            }
            else if (reader.Is("description"u8))
            {
                reader.Read();
                ok = reader.ExpectStringOrNull("description");
            }
            else if (reader.Is("parameters"u8))
            {
                reader.Read();
                ok = reader.TokenType is JsonTokenType.StartObject or JsonTokenType.Null
                    ? reader.Skip()
                    : reader.MalformedAt("parameters", "must be a JSON Schema object.");
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
        if (!hasName)
        {
            return reader.MalformedAt("name", "is required.");
        }
        reader.Pop();
        return true;
    }

    /// <summary><c>tool_choice.function</c>: an object naming the function.</summary>
    private static bool ParseChosenFunction(ref ChatJsonReader reader, ref bool hasName)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return RejectToolChoice(ref reader, "tool_choice.function");
        }
        reader.Push("function");
        reader.BeginObject();
        while (reader.NextProperty())
        {
            var isName = reader.Is("name"u8);
            reader.Read();
            bool ok;
            if (isName)
            {
                hasName = true;
                ok = (reader.TokenType == JsonTokenType.String && IsValidToolName(ref reader)) || reader.InvalidAt("name", "must name a function tool.");
            }
            else
            {
                ok = reader.Skip();
            }
            if (!ok)
            {
                return false;
            }
        }
        reader.Pop();
        return !reader.Failed;
    }

    /// <summary>1 to 64 characters of letters, digits, '_' or '-', written without escapes.</summary>
    private static bool IsValidToolName(ref ChatJsonReader reader)
    {
        if (reader.ValueIsEscaped)
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

    private static bool RejectToolChoice(ref ChatJsonReader reader, string param) => reader.Fail(ApiErrors.InvalidValue(ToolChoiceRule, param));
}
