namespace Tollgate.Admin;

/// <summary>The rollups of a key or an owner over a range, with the aggregation's watermark (<c>AsOf</c>).</summary>
public sealed record RollupListResponse(string Scope, string Id, string Currency, DateTimeOffset? AsOf, IReadOnlyList<RollupResponse> Data);
