using System.Text.Json;
using System.Text.Unicode;
using Tollgate.Errors;
using Tollgate.Json;
using Tollgate.Upstreams.Adaptation;
using Tollgate.Proxy.Parsing;

namespace Tollgate.Proxy;

/// <summary>
/// One forward pass over a chat-completion body with <see cref="Utf8JsonReader"/>: checks the shapes and
/// ranges the provider docs constrain, rejects duplicate keys at every depth, and records where the fields
/// Tollgate rewrites sit. Unknown fields are walked (for duplicates) and otherwise left alone. The checks
/// for each part live in <see cref="Parsing"/>; this class holds the entry point and the top-level dispatch.
/// </summary>
public static class ChatRequestParser
{
    /// <summary>The deepest nesting a body may have (<see cref="JsonLimits.MaxRequestDepth"/>).</summary>
    public const int MaxDepth = JsonLimits.MaxRequestDepth;

    private enum Field
    {
        Unknown,
        Model,
        Messages,
        Stream,
        StreamOptions,
        Ranged,
        User,
        Stop,
        Tools,
        ToolChoice,
        ResponseFormat,
        ReasoningEffort,
        Thinking,
        LogitBias,
        Modalities,
        Metadata,
        Audio,
    }

    /// <summary>The top-level members with their own checks; the bounded scalars are in <see cref="RangeRules"/>.</summary>
    private static readonly (byte[] Name, Field Field)[] Fields =
    [
        ("model"u8.ToArray(), Field.Model),
        ("messages"u8.ToArray(), Field.Messages),
        ("stream"u8.ToArray(), Field.Stream),
        ("stream_options"u8.ToArray(), Field.StreamOptions),
        ("user"u8.ToArray(), Field.User),
        ("stop"u8.ToArray(), Field.Stop),
        ("tools"u8.ToArray(), Field.Tools),
        ("tool_choice"u8.ToArray(), Field.ToolChoice),
        ("response_format"u8.ToArray(), Field.ResponseFormat),
        ("reasoning_effort"u8.ToArray(), Field.ReasoningEffort),
        ("thinking"u8.ToArray(), Field.Thinking),
        ("logit_bias"u8.ToArray(), Field.LogitBias),
        ("modalities"u8.ToArray(), Field.Modalities),
        ("metadata"u8.ToArray(), Field.Metadata),
        ("audio"u8.ToArray(), Field.Audio),
    ];

    /// <summary>Parses <paramref name="body"/>; returns null and the request when it is acceptable, otherwise the error to answer.</summary>
    public static ApiError? TryParse(ReadOnlySpan<byte> body, out ChatRequest request) => TryParse(body, null, out request);

    /// <summary>
    /// As <see cref="TryParse(ReadOnlySpan{byte}, out ChatRequest)"/>, and records in <see cref="ChatRequest.Members"/>
    /// where the top-level members named in <paramref name="fields"/> sit, so the request's adaptations need no pass of
    /// their own. Call <see cref="ChatRequest.ReleaseMembers"/> when done with them.
    /// </summary>
    public static ApiError? TryParse(ReadOnlySpan<byte> body, TopLevelFields? fields, out ChatRequest request)
    {
        var keys = DuplicateKeyTracker.Rent();
        try
        {
            return TryParse(body, keys, out request, fields);
        }
        finally
        {
            DuplicateKeyTracker.Return(keys);
        }
    }

    /// <summary>As <see cref="TryParse(ReadOnlySpan{byte}, out ChatRequest)"/>, with the caller's tracker (tests read its work).</summary>
    internal static ApiError? TryParse(ReadOnlySpan<byte> body, DuplicateKeyTracker keys, out ChatRequest request, TopLevelFields? fields = null)
    {
        request = new ChatRequest { RecordedFields = fields };
        if (body.IsEmpty)
        {
            return ApiErrors.Malformed("The request body is empty; send a JSON object with 'model' and 'messages'.");
        }
        if (!Utf8.IsValid(body))
        {
            // The reader checks structure, not the bytes inside strings: without this, invalid text would reach the upstream.
            return ApiErrors.Malformed("The request body is not valid UTF-8.");
        }

        var reader = new ChatJsonReader(body, keys);
        try
        {
            if (!ParseRoot(ref reader, body, request))
            {
                return reader.Error;
            }
            return reader.AtEnd() ? null : ApiErrors.Malformed("The request body has content after the JSON object.");
        }
        catch (JsonException)
        {
            return ApiErrors.Malformed("The request body is not valid JSON (or nests deeper than " + MaxDepth + " levels).");
        }
        catch (InvalidOperationException)
        {
            return ApiErrors.Malformed("The request body is not valid JSON.");
        }
    }

    private static bool ParseRoot(ref ChatJsonReader reader, ReadOnlySpan<byte> body, ChatRequest request)
    {
        var fields = request.RecordedFields;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return reader.Fail(ApiErrors.Malformed("The request body must be a JSON object."));
        }
        request.RootStart = reader.TokenStart;
        reader.BeginObject();
        var sawModel = false;
        var sawMessages = false;
        var previousEnd = -1;
        var previousRecorded = false;

        while (reader.NextProperty())
        {
            // Where the members some upstream adapts sit, found on this pass: the rewrite then splices without one.
            var keyStart = reader.TokenStart;
            var keyEnd = keyStart + reader.ValueSpan.Length + 2;
            if (previousRecorded)
            {
                request.SetNextKeyStart(keyStart);
            }
            var record = fields is not null && fields.ContainsKey(body[keyStart..keyEnd]);

            var field = Classify(ref reader, out var rule);
            reader.Read();
            var valueStart = reader.TokenStart;
            var ok = field switch
            {
                Field.Model => ParseModel(ref reader, request),
                Field.Messages => MessagesParser.Parse(ref reader),
                Field.Stream => ParseStream(ref reader, request),
                Field.StreamOptions => OptionsParser.ParseStreamOptions(ref reader, request),
                Field.Ranged => RangeRules.Check(ref reader, rule!) && RangeRules.Keep(ref reader, rule!, request),
                Field.User => reader.ExpectStringOrNull("user"),
                Field.Stop => OptionsParser.ParseStop(ref reader),
                Field.Tools => ToolsParser.ParseTools(ref reader),
                Field.ToolChoice => ToolsParser.ParseToolChoice(ref reader),
                Field.ResponseFormat => OptionsParser.ParseResponseFormat(ref reader),
                Field.ReasoningEffort => OptionsParser.ParseReasoningEffort(ref reader),
                Field.Thinking => OptionsParser.ParseThinking(ref reader),
                Field.LogitBias => OptionsParser.ParseLogitBias(ref reader),
                Field.Modalities => OptionsParser.ParseModalities(ref reader),
                Field.Metadata => OptionsParser.ParseOpaqueObject(ref reader, "metadata"),
                Field.Audio => OptionsParser.ParseOpaqueObject(ref reader, "audio"),
                _ => reader.Skip(),
            };
            if (!ok)
            {
                return false;
            }
            sawModel |= field == Field.Model;
            sawMessages |= field == Field.Messages;
            var valueEnd = reader.Consumed;
            if (record)
            {
                request.AddMember(new TopLevelMember(previousEnd, keyStart, keyEnd, valueStart, valueEnd));
            }
            previousRecorded = record;
            previousEnd = valueEnd;
        }

        if (reader.Failed)
        {
            return false;
        }
        if (!sawModel)
        {
            return reader.Fail(ApiErrors.Malformed("You must provide a model parameter ('model').", "model"));
        }
        return sawMessages || reader.Fail(ApiErrors.Malformed("You must provide a messages parameter ('messages').", "messages"));
    }

    private static Field Classify(ref ChatJsonReader reader, out RangeRule? rule)
    {
        rule = null;
        foreach (var (name, field) in Fields)
        {
            if (reader.Is(name))
            {
                return field;
            }
        }
        rule = RangeRules.Find(ref reader);
        return rule is null ? Field.Unknown : Field.Ranged;
    }

    private static bool ParseModel(ref ChatJsonReader reader, ChatRequest request)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            return reader.MalformedAt("model", "must be a string.");
        }
        var model = reader.GetString();
        if (model.Length is 0 or > 256)
        {
            return reader.MalformedAt("model", "must be a non-empty string of at most 256 characters.");
        }
        request.Model = model;
        request.ModelValue = reader.TokenSpan;
        return true;
    }

    private static bool ParseStream(ref ChatJsonReader reader, ChatRequest request)
    {
        if (!reader.ExpectBoolean("stream"))
        {
            return false;
        }
        request.Stream = reader.TokenType == JsonTokenType.True;
        return true;
    }
}
