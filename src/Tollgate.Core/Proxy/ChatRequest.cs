using Tollgate.Json;

namespace Tollgate.Proxy;

/// <summary>
/// What one pass over a chat-completion body learned: the few fields Tollgate acts on and where they sit
/// in the original bytes, so the rewrite can splice instead of re-serialising.
/// </summary>
public sealed class ChatRequest
{
    public string Model { get; internal set; } = "";

    /// <summary>The <c>model</c> value token, quotes included.</summary>
    public ByteSpan ModelValue { get; internal set; } = ByteSpan.None;

    public bool Stream { get; internal set; }

    /// <summary>The <c>stream_options</c> value (object or null), or <see cref="ByteSpan.None"/> when absent.</summary>
    public ByteSpan StreamOptionsValue { get; internal set; } = ByteSpan.None;

    public bool StreamOptionsIsEmptyObject { get; internal set; }

    /// <summary>The client's own <c>stream_options.include_usage</c>; false when absent.</summary>
    public bool ClientIncludeUsage { get; internal set; }

    /// <summary>The <c>include_usage</c> value token inside <c>stream_options</c>, when present.</summary>
    public ByteSpan IncludeUsageValue { get; internal set; } = ByteSpan.None;

    /// <summary><c>max_tokens</c>, when given.</summary>
    public long? MaxTokens { get; internal set; }

    /// <summary><c>max_completion_tokens</c>, when given (it supersedes <c>max_tokens</c>).</summary>
    public long? MaxCompletionTokens { get; internal set; }

    /// <summary><c>n</c>: how many choices to generate.</summary>
    public int Choices { get; internal set; } = 1;

    /// <summary>The most output the request asks for: its limit per choice times its choices; null when it sets none.</summary>
    public long? MaxOutputTokens => (MaxCompletionTokens ?? MaxTokens) * Choices;

    /// <summary>Offset of the root object's opening brace.</summary>
    public int RootStart { get; internal set; }
}
