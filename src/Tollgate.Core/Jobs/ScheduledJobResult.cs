using Tollgate.Billing;

namespace Tollgate.Jobs;

/// <summary>What one run did: the aggregation's figures (null without storage), and how many expired budget leases it released.</summary>
public sealed record ScheduledJobResult(AggregationResult? Aggregation, int LeasesReleased);
