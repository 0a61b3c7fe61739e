using Tollgate.Pricing;

namespace Tollgate.Admin;

/// <summary>A price as the admin API shows it: where it comes from (configuration or stored) and whether it is in effect.</summary>
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
