using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;

namespace Tollgate.Streaming;

/// <summary>
/// Reads usage, finish reason and the generated text from completion bodies and stream chunks as they pass
/// by. The text (its first <see cref="MaxKeptTextBytes"/>) is kept in a pooled buffer only until the request
/// ends, so that its tokens can be counted when the upstream reports no usage; it is never logged or stored.
/// A stream's plain text deltas (<see cref="InspectChunk"/>) are not parsed as they pass: their text matters
/// only when the upstream ends up reporting no usage, so they are kept as they came (up to
/// <see cref="MaxDeferredBytes"/>) and read only if the text is asked for.
/// </summary>
public sealed class UsageTap : IDisposable
{
    /// <summary>Generated text kept for counting; past this the count is scaled from what was kept.</summary>
    public const int MaxKeptTextBytes = 256 * 1024;

    /// <summary>Raw text deltas kept unread per stream; past this, every later chunk is read as it passes.</summary>
    public const int MaxDeferredBytes = 64 * 1024;

    private byte[]? _text;
    private int _textLength;
    private long _completionTextBytes;
    private bool _sawOutput;
    private byte[]? _deferred;
    private int _deferredLength;
    private bool _readEveryChunk;
    private bool _skipText;

    public bool UsageReported { get; private set; }
    public long PromptTokens { get; private set; }
    public long CompletionTokens { get; private set; }
    public long CachedTokens { get; private set; }
    public long ReasoningTokens { get; private set; }

    /// <summary>Bytes of generated text seen: content, reasoning content, refusals and tool-call arguments.</summary>
    public long CompletionTextBytes
    {
        get
        {
            ReadDeferred();
            return _completionTextBytes;
        }
    }

    /// <summary>The generated text kept so far (unescaped UTF-8): all of it, or its first <see cref="MaxKeptTextBytes"/>.</summary>
    public ReadOnlySpan<byte> CompletionText
    {
        get
        {
            ReadDeferred();
            return _text.AsSpan(0, _textLength);
        }
    }

    public string? FinishReason { get; private set; }

    /// <summary>True once a chunk carried content of any kind (role-only chunks do not count).</summary>
    public bool SawOutput
    {
        get
        {
            ReadDeferred();
            return _sawOutput;
        }
    }

    /// <summary>
    /// Inspects one stream chunk, as <see cref="Inspect"/> does, except that a chunk that can only carry generated
    /// text (an object with no usage, no error and no finish reason other than null) is kept unread and reported as
    /// <see cref="ChunkKind.Content"/> (once one is kept, later chunks are kept too, so that the text is read in
    /// order); the text is read when <see cref="CompletionText"/>, <see cref="CompletionTextBytes"/>
    /// or <see cref="SawOutput"/> is asked for. Recognising such a chunk takes a few vectorised searches instead of a
    /// parse; a key the upstream spelled with escapes (<c>"\u0075sage"</c>) is not recognised.
    /// </summary>
    public ChunkKind InspectChunk(ReadOnlySpan<byte> json)
    {
        if (_readEveryChunk)
        {
            return Inspect(json);
        }
        var textOnly = IsTextDelta(json);
        if (!textOnly && _deferredLength == 0)
        {
            return Inspect(json);
        }
        if (!TryDefer(json))
        {
            // A long stream: what is kept is read now, and every later chunk as it passes.
            ReadDeferred();
            _readEveryChunk = true;
            return Inspect(json);
        }
        if (textOnly)
        {
            return ChunkKind.Content;
        }
        // Read now for all but its text, which is read later with the rest, in order. Reading it again then repeats
        // what it said of usage and finish reason in the same order, so the last word stays the last word.
        _skipText = true;
        try
        {
            return Inspect(json);
        }
        finally
        {
            _skipText = false;
        }
    }

    /// <summary>
    /// An object whose every <c>"usage"</c>, <c>"error"</c> and <c>"finish_reason"</c> is a key with a null value (or
    /// absent). Anything else, a string that merely looks like one of them included, goes through the parser.
    /// </summary>
    internal static bool IsTextDelta(ReadOnlySpan<byte> json)
    {
        var trimmed = json.Trim(" \t\r\n"u8);
        return trimmed.Length >= 2 && trimmed[0] == (byte)'{' && trimmed[^1] == (byte)'}'
            && OnlyNull(trimmed, "\"usage\""u8) && OnlyNull(trimmed, "\"error\""u8) && OnlyNull(trimmed, "\"finish_reason\""u8);
    }

    private static bool OnlyNull(ReadOnlySpan<byte> json, ReadOnlySpan<byte> quotedName)
    {
        var rest = json;
        while (true)
        {
            var at = rest.IndexOf(quotedName);
            if (at < 0)
            {
                return true;
            }
            rest = rest[(at + quotedName.Length)..].TrimStart(" \t\r\n"u8);
            if (rest.IsEmpty || rest[0] != (byte)':')
            {
                return false;
            }
            rest = rest[1..].TrimStart(" \t\r\n"u8);
            if (!rest.StartsWith("null"u8))
            {
                return false;
            }
            rest = rest[4..];
        }
    }

    private bool TryDefer(ReadOnlySpan<byte> json)
    {
        var needed = _deferredLength + sizeof(int) + json.Length;
        if (needed > MaxDeferredBytes)
        {
            return false;
        }
        if (_deferred is null || _deferred.Length < needed)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _deferred is null ? 4096 : _deferred.Length * 2));
            if (_deferred is not null)
            {
                _deferred.AsSpan(0, _deferredLength).CopyTo(grown);
                ArrayPool<byte>.Shared.Return(_deferred);
            }
            _deferred = grown;
        }
        BinaryPrimitives.WriteInt32LittleEndian(_deferred.AsSpan(_deferredLength), json.Length);
        json.CopyTo(_deferred.AsSpan(_deferredLength + sizeof(int)));
        _deferredLength = needed;
        return true;
    }

    /// <summary>Reads the chunks kept unread, in order, and forgets them.</summary>
    private void ReadDeferred()
    {
        if (_deferredLength == 0)
        {
            return;
        }
        var kept = _deferred.AsSpan(0, _deferredLength);
        _deferredLength = 0;
        while (!kept.IsEmpty)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(kept);
            try
            {
                Inspect(kept.Slice(sizeof(int), length));
            }
            catch (JsonException)
            {
                // Shaped like an object but not JSON: it carries no text that can be read.
            }
            kept = kept[(sizeof(int) + length)..];
        }
    }

    /// <summary>
    /// Inspects one JSON payload (a stream chunk or a whole completion). Returns what it found; throws
    /// <see cref="JsonException"/> when the payload is not JSON.
    /// </summary>
    public ChunkKind Inspect(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("payload is not a JSON object");
        }
        var hasUsage = false;
        var choices = -1;
        var isError = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    ReadUsage(ref reader);
                    hasUsage = true;
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("choices"u8))
            {
                reader.Read();
                choices = reader.TokenType == JsonTokenType.StartArray ? ReadChoices(ref reader) : SkipReturning(ref reader, 0);
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                isError = reader.TokenType != JsonTokenType.Null;
                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject)
        {
            throw new JsonException("unexpected token");
        }

        if (isError)
        {
            return ChunkKind.Error;
        }
        return hasUsage && choices <= 0 ? ChunkKind.UsageOnly : ChunkKind.Content;
    }

    private static int SkipReturning(ref Utf8JsonReader reader, int value)
    {
        reader.Skip();
        return value;
    }

    private void ReadUsage(ref Utf8JsonReader reader)
    {
        UsageReported = true;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("prompt_tokens"u8))
            {
                PromptTokens = ReadCount(ref reader);
            }
            else if (reader.ValueTextEquals("completion_tokens"u8))
            {
                CompletionTokens = ReadCount(ref reader);
            }
            else if (reader.ValueTextEquals("prompt_tokens_details"u8))
            {
                reader.Read();
                CachedTokens = ReadDetail(ref reader, "cached_tokens"u8, CachedTokens);
            }
            else if (reader.ValueTextEquals("completion_tokens_details"u8))
            {
                reader.Read();
                ReasoningTokens = ReadDetail(ref reader, "reasoning_tokens"u8, ReasoningTokens);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static long ReadDetail(ref Utf8JsonReader reader, ReadOnlySpan<byte> name, long current)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return current;
        }
        var value = current;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(name))
            {
                value = ReadCount(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return value;
    }

    private static long ReadCount(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value) && value >= 0 ? value : 0;
    }

    private int ReadChoices(ref Utf8JsonReader reader)
    {
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
                if (reader.ValueTextEquals("finish_reason"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        FinishReason = KnownFinishReason(ref reader);
                    }
                }
                else if (reader.ValueTextEquals("delta"u8) || reader.ValueTextEquals("message"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        ReadMessage(ref reader);
                    }
                    else
                    {
                        reader.Skip();
                    }
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

    private void ReadMessage(ref Utf8JsonReader reader)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("content"u8) || reader.ValueTextEquals("reasoning_content"u8) ||
                reader.ValueTextEquals("reasoning"u8) || reader.ValueTextEquals("refusal"u8))
            {
                reader.Read();
                CountText(ref reader);
            }
            else if (reader.ValueTextEquals("tool_calls"u8))
            {
                reader.Read();
                ReadToolCalls(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private void ReadToolCalls(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }
        _sawOutput |= !_skipText;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("function"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        reader.Skip();
                        continue;
                    }
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        reader.Read();
                        CountText(ref reader);
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
    }

    private void CountText(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            if (_skipText)
            {
                return;
            }
            var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
            _completionTextBytes += length;
            _sawOutput |= length > 0;
            if (length > 0 && _textLength < MaxKeptTextBytes)
            {
                Keep(ref reader, (int)Math.Min(length, MaxKeptTextBytes - _textLength));
            }
        }
        else
        {
            reader.Skip();
        }
    }

    private void Keep(ref Utf8JsonReader reader, int length)
    {
        if (_text is null || _text.Length - _textLength < length)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(_textLength + length, _text is null ? 1024 : _text.Length * 2));
            if (_text is not null)
            {
                _text.AsSpan(0, _textLength).CopyTo(grown);
                ArrayPool<byte>.Shared.Return(_text);
            }
            _text = grown;
        }
        var target = _text.AsSpan(_textLength, length);
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            reader.ValueSpan[..length].CopyTo(target);
            _textLength += length;
        }
        else if (length == (reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length))
        {
            _textLength += reader.CopyString(target); // unescaped is never longer than escaped
        }
    }

    /// <summary>Gives the kept text's buffer back to the pool.</summary>
    public void Dispose()
    {
        if (_text is not null)
        {
            ArrayPool<byte>.Shared.Return(_text);
            _text = null;
            _textLength = 0;
        }
        if (_deferred is not null)
        {
            ArrayPool<byte>.Shared.Return(_deferred);
            _deferred = null;
            _deferredLength = 0;
        }
    }

    private static string KnownFinishReason(ref Utf8JsonReader reader)
    {
        // The usual values without allocating; anything else is kept, cut to 32 characters.
        return reader.ValueTextEquals("stop"u8) ? "stop"
            : reader.ValueTextEquals("length"u8) ? "length"
            : reader.ValueTextEquals("tool_calls"u8) ? "tool_calls"
            : reader.ValueTextEquals("content_filter"u8) ? "content_filter"
            : reader.ValueTextEquals("function_call"u8) ? "function_call"
            : Truncate(reader.GetString() ?? "");

        static string Truncate(string value) => value.Length > 32 ? value[..32] : value;
    }
}
