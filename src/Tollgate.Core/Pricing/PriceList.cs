namespace Tollgate.Pricing;

/// <summary>
/// An immutable, effective-dated set of prices. The price of a request is the newest one in effect when it started:
/// one for its model on its upstream when there is one, else the model's price for every upstream.
/// </summary>
public sealed class PriceList
{
    /// <summary>By model: its prices for every upstream, and those for one upstream; each newest first.</summary>
    private readonly Dictionary<string, (ModelPrice[] General, Dictionary<string, ModelPrice[]>? ByUpstream)> _prices;

    /// <param name="prices">Later entries replace earlier ones with the same model, upstream and start.</param>
    public PriceList(IEnumerable<ModelPrice> prices)
    {
        var unique = new Dictionary<(string, string?, DateTimeOffset), ModelPrice>();
        foreach (var price in prices)
        {
            unique[(price.Model, price.Upstream, price.EffectiveFrom.ToUniversalTime())] = price;
        }
        _prices = unique.Values.GroupBy(p => p.Model, StringComparer.Ordinal).ToDictionary(
            model => model.Key,
            model => (
                model.Where(p => p.Upstream is null).OrderByDescending(p => p.EffectiveFrom).ToArray(),
                model.Any(p => p.Upstream is not null)
                    ? model.Where(p => p.Upstream is not null).GroupBy(p => p.Upstream!, StringComparer.Ordinal)
                        .ToDictionary(u => u.Key, u => u.OrderByDescending(p => p.EffectiveFrom).ToArray(), StringComparer.Ordinal)
                    : null),
            StringComparer.Ordinal);
        All = unique.Values.OrderBy(p => p.Model, StringComparer.Ordinal).ThenBy(p => p.Upstream, StringComparer.Ordinal).ThenBy(p => p.EffectiveFrom).ToArray();
    }

    public static PriceList Empty { get; } = new([]);

    /// <summary>Every price, past, current and future, by model, upstream and start.</summary>
    public IReadOnlyList<ModelPrice> All { get; }

    public ModelPrice? Find(string model, string? upstream, DateTimeOffset at)
    {
        if (!_prices.TryGetValue(model, out var prices))
        {
            return null;
        }
        if (upstream is not null && prices.ByUpstream is { } byUpstream && byUpstream.TryGetValue(upstream, out var own) && InEffect(own, at) is { } specific)
        {
            return specific;
        }
        return InEffect(prices.General, at);
    }

    /// <summary>The prices in effect at <paramref name="at"/>, one per model and upstream.</summary>
    public IEnumerable<ModelPrice> Current(DateTimeOffset at) =>
        _prices.Values.SelectMany(p => (p.ByUpstream?.Values ?? Enumerable.Empty<ModelPrice[]>()).Prepend(p.General))
            .Select(newestFirst => InEffect(newestFirst, at)).OfType<ModelPrice>()
            .OrderBy(p => p.Model, StringComparer.Ordinal).ThenBy(p => p.Upstream, StringComparer.Ordinal);

    private static ModelPrice? InEffect(ModelPrice[] newestFirst, DateTimeOffset at)
    {
        foreach (var price in newestFirst)
        {
            if (price.EffectiveFrom <= at)
            {
                return price;
            }
        }
        return null;
    }
}
