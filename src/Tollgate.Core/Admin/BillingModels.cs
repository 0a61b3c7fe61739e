using System.Text.Json.Serialization;
using Tollgate.Billing;

namespace Tollgate.Admin;

/// <summary>PUT <c>/admin/prices</c>: a price from <see cref="EffectiveFrom"/> (now when absent), never in the past.</summary>
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

public sealed record TotalsResponse(
    long Requests,
    long Errors,
    long PromptTokens,
    long CachedTokens,
    long CompletionTokens,
    long ReasoningTokens,
    decimal Cost,
    long UnpricedRequests)
{
    public static TotalsResponse From(UsageTotals t) =>
        new(t.Requests, t.Errors, t.PromptTokens, t.CachedTokens, t.CompletionTokens, t.ReasoningTokens, t.Cost, t.UnpricedRequests);
}

public sealed record RollupResponse(string Period, DateTimeOffset Start, DateTimeOffset End, TotalsResponse Total, IReadOnlyDictionary<string, TotalsResponse> Models)
{
    public static RollupResponse From(Rollup r) => new(
        r.Period.Kind.ToString().ToLowerInvariant(), r.Period.Start, r.Period.End, TotalsResponse.From(r.Total),
        r.Models.ToDictionary(m => m.Key, m => TotalsResponse.From(m.Value), StringComparer.Ordinal));
}

public sealed record RollupListResponse(string Scope, string Id, string Currency, DateTimeOffset? AsOf, IReadOnlyList<RollupResponse> Data);

public sealed record StatementLineResponse(
    string Model,
    long Requests,
    long Errors,
    long PromptTokens,
    long CachedTokens,
    long CompletionTokens,
    long ReasoningTokens,
    decimal Cost,
    long UnpricedRequests,
    bool Unpriced)
{
    public static StatementLineResponse From(StatementLine l) => new(
        l.Model, l.Requests, l.Errors, l.PromptTokens, l.CachedTokens, l.CompletionTokens, l.ReasoningTokens, l.Cost, l.UnpricedRequests, l.Unpriced);
}

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
    IReadOnlyList<StatementLineResponse> Lines,
    StatementLineResponse Total,
    IReadOnlyList<string> UnpricedModels)
{
    public static StatementResponse From(Statement s) => new(
        s.Scope.ToString().ToLowerInvariant(), s.Id, s.Owner, s.Month.Start.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture),
        s.Month.Start, s.Month.End, s.Currency, s.AsOf, s.IsFinal, s.Lines.Select(StatementLineResponse.From).ToList(),
        StatementLineResponse.From(s.Total), s.UnpricedModels.ToList());
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(PriceRequest))]
[JsonSerializable(typeof(PriceResponse))]
[JsonSerializable(typeof(PriceListResponse))]
[JsonSerializable(typeof(RollupListResponse))]
[JsonSerializable(typeof(StatementResponse))]
public sealed partial class BillingJsonApiContext : JsonSerializerContext;
