using System.Buffers;
using Tollgate.Json;
using Tollgate.Upstreams.Adaptation;
using Tollgate.Quota;

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

    /// <summary>
    /// The most output the request asks for: its limit per choice times its choices (at most <see cref="long.MaxValue"/>,
    /// never wrapped); null when it sets none.
    /// </summary>
    public long? MaxOutputTokens => (MaxCompletionTokens ?? MaxTokens) is { } perChoice ? Saturating.Multiply(perChoice, Choices) : null;

    /// <summary>Offset of the root object's opening brace.</summary>
    public int RootStart { get; internal set; }

    private TopLevelMember[]? _members;
    private int _memberCount;

    /// <summary>The fields the parser recorded the members of in <see cref="Members"/>; null when it was given none, or once released.</summary>
    public TopLevelFields? RecordedFields { get; internal set; }

    /// <summary>
    /// The top-level members named in <see cref="RecordedFields"/>, in body order, as the parser found them: what an
    /// adaptation needs to edit the body without reading it again. Empty once <see cref="ReleaseMembers"/> ran.
    /// </summary>
    public ReadOnlySpan<TopLevelMember> Members => _members.AsSpan(0, _memberCount);

    internal void AddMember(in TopLevelMember member)
    {
        if (_members is null || _memberCount == _members.Length)
        {
            // Room for every recorded name at once (keys are unique); it only grows for a body the parser then refuses.
            var larger = ArrayPool<TopLevelMember>.Shared.Rent(Math.Max(RecordedFields?.Count ?? 0, _memberCount * 2));
            if (_members is not null)
            {
                _members.AsSpan(0, _memberCount).CopyTo(larger);
                ArrayPool<TopLevelMember>.Shared.Return(_members);
            }
            _members = larger;
        }
        _members[_memberCount++] = member;
    }

    /// <summary>Notes where the member after the last recorded one starts.</summary>
    internal void SetNextKeyStart(int keyStart) => _members![_memberCount - 1] = _members[_memberCount - 1] with { NextKeyStart = keyStart };

    /// <summary>Gives the recorded members' room back to the pool, once no body is adapted from this request any more.</summary>
    public void ReleaseMembers()
    {
        if (_members is { } members)
        {
            _members = null;
            _memberCount = 0;
            RecordedFields = null;
            ArrayPool<TopLevelMember>.Shared.Return(members);
        }
    }
}
