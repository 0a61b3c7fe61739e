using Microsoft.Extensions.Logging;
using Tollgate.Billing;
using Tollgate.Quota;
using Tollgate.Storage;

namespace Tollgate.Jobs;

/// <summary>
/// The timer's job (the Functions timer trigger, the standalone host's <see cref="ScheduledJobService"/>, and
/// <c>POST /manage/billing/aggregate</c>): first gives back the budget reservations of instances that died, then rolls
/// usage up. It sits above Quota and Billing so that neither has to drive the other.
/// </summary>
/// <param name="aggregator">Rolls usage up; null without storage (only leases are released).</param>
public sealed partial class ScheduledJob(LeaseReleaser leases, ILogger<ScheduledJob> logger, UsageAggregator? aggregator)
{
    private readonly FailureStreak _releaseFailures = new();

    public async Task<ScheduledJobResult> RunAsync(CancellationToken cancellationToken)
    {
        var released = 0;
        try
        {
            released = await leases.ReleaseExpiredLeasesAsync(cancellationToken).ConfigureAwait(false);
            _releaseFailures.Succeed();
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Releasing leases can wait for the next run; rolling usage up goes ahead. Logged once per streak of failures.
            if (_releaseFailures.Fail())
            {
                LogReleaseFailed(logger, FailureStreak.Reason(e));
            }
        }
        // Without storage there is nothing to roll up (usage stays in memory); leases were still released above.
        var aggregation = aggregator is null ? null : await aggregator.RunAsync(cancellationToken).ConfigureAwait(false);
        return new ScheduledJobResult(aggregation, released);
    }

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "Expired budget leases could not be released ({Error}); every run tries again, logged once until one succeeds")]
    private static partial void LogReleaseFailed(ILogger logger, string error);
}
