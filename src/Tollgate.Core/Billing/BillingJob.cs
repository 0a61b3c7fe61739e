using Tollgate.Quota;

namespace Tollgate.Billing;

/// <summary>
/// The timer's job (the Functions timer trigger, the standalone host's <see cref="AggregationService"/>, and
/// <c>POST /admin/billing/aggregate</c>): first gives back the budget reservations of instances that died, then rolls
/// usage up.
/// </summary>
public sealed class BillingJob(UsageAggregator aggregator, QuotaAccounts quotas)
{
    public async Task<BillingJobResult> RunAsync(CancellationToken cancellationToken)
    {
        var released = await quotas.ReleaseExpiredLeasesAsync(cancellationToken).ConfigureAwait(false);
        var aggregation = await aggregator.RunAsync(cancellationToken).ConfigureAwait(false);
        return new BillingJobResult(aggregation, released);
    }
}

/// <summary>What one run did: the aggregation's figures, and how many expired budget leases it released.</summary>
public sealed record BillingJobResult(AggregationResult Aggregation, int LeasesReleased);
