namespace Tollgate.Admin;

/// <summary>PUT <c>/manage/prices</c>: a price from <see cref="EffectiveFrom"/> (now when absent), never in the past.</summary>
public sealed record PriceRequest(
    string? Model,
    string? Upstream,
    DateTimeOffset? EffectiveFrom,
    decimal? InputPerMillion,
    decimal? CachedInputPerMillion,
    decimal? OutputPerMillion,
    decimal? ReasoningPerMillion,
    decimal? PerRequest);
