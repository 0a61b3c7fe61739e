namespace Tollgate.Billing;

/// <summary>
/// An immutable, effective-dated set of prices. The price of a request is the newest one in effect when it started:
/// one for its model on its upstream when there is one, else the model's price for every upstream.
/// </summary>
public sealed class PriceList
{
    private readonly Dictionary<(string Model, string? Upstream), ModelPrice[]> _prices;

    /// <param name="prices">Later entries replace earlier ones with the same model, upstream and start.</param>
    public PriceList(IEnumerable<ModelPrice> prices)
    {
        var unique = new Dictionary<(string, string?, DateTimeOffset), ModelPrice>();
        foreach (var price in prices)
        {
            unique[(price.Model, price.Upstream, price.EffectiveFrom.ToUniversalTime())] = price;
        }
        _prices = unique.Values
            .GroupBy(p => (p.Model, p.Upstream))
            .ToDictionary(g => g.Key, g => g.OrderByDescending(p => p.EffectiveFrom).ToArray());
        All = unique.Values.OrderBy(p => p.Model, StringComparer.Ordinal).ThenBy(p => p.Upstream, StringComparer.Ordinal).ThenBy(p => p.EffectiveFrom).ToArray();
    }

    public static PriceList Empty { get; } = new([]);

    /// <summary>Every price, past, current and future, by model, upstream and start.</summary>
    public IReadOnlyList<ModelPrice> All { get; }

    public ModelPrice? Find(string model, string? upstream, DateTimeOffset at)
    {
        if (upstream is not null && InEffect(model, upstream, at) is { } specific)
        {
            return specific;
        }
        return InEffect(model, null, at);
    }

    /// <summary>The prices in effect at <paramref name="at"/>, one per model and upstream.</summary>
    public IEnumerable<ModelPrice> Current(DateTimeOffset at) =>
        _prices.Keys.Select(k => InEffect(k.Model, k.Upstream, at)).OfType<ModelPrice>()
            .OrderBy(p => p.Model, StringComparer.Ordinal).ThenBy(p => p.Upstream, StringComparer.Ordinal);

    private ModelPrice? InEffect(string model, string? upstream, DateTimeOffset at)
    {
        if (!_prices.TryGetValue((model, upstream), out var newestFirst))
        {
            return null;
        }
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
