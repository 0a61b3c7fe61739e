using Microsoft.Azure.Functions.Worker;
using Tollgate.Jobs;

namespace Tollgate.Functions;

/// <summary>
/// Releases the budget leases of instances that died and rolls usage up, on the schedule in the app setting <c>TOLLGATE_AGGREGATION_SCHEDULE</c> (NCRONTAB, e.g.
/// <c>0 */5 * * * *</c>). A late or missed run (<c>IsPastDue</c>) needs nothing special: the job starts from its
/// watermark, so it catches up whatever it missed.
/// </summary>
public sealed class AggregateUsageFunction(ScheduledJob job)
{
    [Function("AggregateUsage")]
    public Task Run([TimerTrigger("%TOLLGATE_AGGREGATION_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken) =>
        job.RunAsync(cancellationToken);
}
