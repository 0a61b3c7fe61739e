namespace Tollgate.Admin;

/// <summary>GET <c>/manage/prices</c>'s answer: every price, in the billing currency, and which are in effect at <c>At</c>.</summary>
public sealed record PriceListResponse(string Currency, bool AllowUnpriced, DateTimeOffset At, IReadOnlyList<PriceResponse> Data);
