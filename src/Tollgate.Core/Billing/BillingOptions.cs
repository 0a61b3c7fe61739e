namespace Tollgate.Billing;

/// <summary><c>Tollgate:Billing</c>: prices, what happens to a model without one, and how usage is rolled up.</summary>
public sealed class BillingOptions
{
    public const string Section = "Tollgate:Billing";

    /// <summary>The currency of every price and statement (ISO 4217).</summary>
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

    /// <summary>How often the standalone host rolls usage up (the Functions app uses its timer's schedule).</summary>
    public TimeSpan AggregationInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Records stored up to this long after their request started are still rolled up (a ledger that waited out an outage).</summary>
    public TimeSpan LateRecordWindow { get; set; } = TimeSpan.FromDays(3);

    /// <summary>Each run re-reads pages stored this long before the previous run began, for writes that were in flight and for clock skew.</summary>
    public TimeSpan Overlap { get; set; } = TimeSpan.FromMinutes(2);
}
