namespace Tollgate.Billing;

/// <summary>
/// The aggregation settings of <c>Tollgate:Billing</c>: how usage is rolled up. The same section also holds the currency
/// and the prices (<see cref="Pricing.PricingOptions"/>); each class reads only its own keys.
/// </summary>
public sealed class BillingOptions
{
    public const string Section = "Tollgate:Billing";

    /// <summary>How often the standalone host rolls usage up (the Functions app uses its timer's schedule).</summary>
    public TimeSpan AggregationInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Records stored up to this long after their request started are still rolled up (a ledger that waited out an outage).</summary>
    public TimeSpan LateRecordWindow { get; set; } = TimeSpan.FromDays(3);

    /// <summary>Each run re-reads pages stored this long before the previous run began, for writes that were in flight and for clock skew.</summary>
    public TimeSpan Overlap { get; set; } = TimeSpan.FromMinutes(2);
}
