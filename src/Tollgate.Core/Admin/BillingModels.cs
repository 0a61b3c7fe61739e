using System.Text.Json.Serialization;
using Tollgate.Billing;
using Tollgate.Pricing;

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

public sealed record PriceResponse(
    string Model,
    string? Upstream,
    DateTimeOffset EffectiveFrom,
    decimal InputPerMillion,
    decimal? CachedInputPerMillion,
    decimal OutputPerMillion,
    decimal? ReasoningPerMillion,
    decimal PerRequest,
    string Version,
    string Source,
    bool InEffect)
{
    public static PriceResponse From(ModelPrice price, bool stored, bool inEffect) => new(
        price.Model, price.Upstream, price.EffectiveFrom, price.InputPerMillion, price.CachedInputPerMillion, price.OutputPerMillion,
        price.ReasoningPerMillion, price.PerRequest, price.Version, stored ? "stored" : "configuration", inEffect);
}

public sealed record PriceListResponse(string Currency, bool AllowUnpriced, DateTimeOffset At, IReadOnlyList<PriceResponse> Data);

public sealed record RollupResponse(string Period, DateTimeOffset Start, DateTimeOffset End, UsageTotals Total, IReadOnlyDictionary<string, UsageTotals> Models)
{
    public static RollupResponse From(Rollup r) => new(r.Period.Kind.ToString().ToLowerInvariant(), r.Period.Start, r.Period.End, r.Total, r.Models);
}

public sealed record RollupListResponse(string Scope, string Id, string Currency, DateTimeOffset? AsOf, IReadOnlyList<RollupResponse> Data);

public sealed record StatementResponse(
    string Scope,
    string Id,
    string Owner,
    string Month,
    DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd,
    string Currency,
    DateTimeOffset? AsOf,
    bool Final,
    IReadOnlyList<StatementLine> Lines,
    StatementLine Total,
    IReadOnlyList<string> UnpricedModels)
{
    public static StatementResponse From(Statement s) => new(
        s.Scope.ToString().ToLowerInvariant(), s.Id, s.Owner, s.Month.Start.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture),
        s.Month.Start, s.Month.End, s.Currency, s.AsOf, s.IsFinal, s.Lines, s.Total, s.UnpricedModels.ToList());
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(PriceRequest))]
[JsonSerializable(typeof(PriceResponse))]
[JsonSerializable(typeof(PriceListResponse))]
[JsonSerializable(typeof(RollupListResponse))]
[JsonSerializable(typeof(StatementResponse))]
public sealed partial class BillingJsonApiContext : JsonSerializerContext;
