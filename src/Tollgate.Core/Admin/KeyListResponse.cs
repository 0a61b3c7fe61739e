namespace Tollgate.Admin;

/// <summary>GET <c>/manage/keys</c>'s answer: a page of keys, and the token for the next page (null on the last).</summary>
public sealed record KeyListResponse(IReadOnlyList<KeyResponse> Data, string? ContinuationToken);
