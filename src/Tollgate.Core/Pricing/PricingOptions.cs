namespace Tollgate.Pricing;

/// <summary>
/// The pricing settings of <c>Tollgate:Billing</c>: the currency, the prices, and what happens to a model without one.
/// The same section also holds how usage is rolled up (<c>Billing/BillingOptions</c>); each class reads only its own keys.
/// </summary>
public sealed class PricingOptions
{
    public const string Section = "Tollgate:Billing";

    /// <summary>The currency of every price, budget and statement (ISO 4217).</summary>
    public string Currency { get; set; } = "USD";

    /// <summary>Decimal places a statement's amounts are rounded to (once, at the statement).</summary>
    public int CurrencyDecimals { get; set; } = 2;

    /// <summary>
    /// Serve models that have no price. Off by default: such requests get 403 <c>model_not_priced</c> before anything
    /// is forwarded. On: they are served, recorded as unpriced (cost unknown, never 0), logged and counted.
    /// </summary>
    public bool AllowUnpriced { get; set; }

    /// <summary>Prices from configuration; the admin API adds stored ones (a stored price replaces one with the same model, upstream and start).</summary>
    public List<ModelPrice> Prices { get; set; } = [];

    /// <summary>How often an instance re-reads stored prices (a price changed on another instance is used within this).</summary>
    public TimeSpan PriceRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);
}
