namespace Tollgate.Admin;

/// <summary>GET <c>/manage/keys/{id}/usage</c>'s answer: a page of usage records, and the token for the next page (null on the last).</summary>
public sealed record UsageListResponse(IReadOnlyList<UsageRecordResponse> Data, string? ContinuationToken);
