using Microsoft.Extensions.Logging;

namespace Tollgate.Quota;

/// <summary>
/// Gives back what the leases of instances that died (or stalled) held in the shared budget accounts, and removes the
/// rows of rate-limit minutes that ended: run by the scheduled job, since a dead instance cannot give back its own.
/// </summary>
public sealed partial class LeaseReleaser(IQuotaStore store, TimeProvider time, ILogger<LeaseReleaser> logger)
{
    /// <summary>
    /// A rate-limit minute's rows are removed this long after it ended: long past any exchange that still reads them
    /// (a request that started in it settles there when it ends; if it ends later still, its report only adds a row the
    /// next run removes).
    /// </summary>
    public static readonly TimeSpan KeepEndedMinutes = TimeSpan.FromMinutes(10);

    /// <summary>Gives back what the leases of dead (or stalled) instances held; returns how many were released.</summary>
    public async Task<int> ReleaseExpiredLeasesAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var released = await store.ReleaseExpiredLeasesAsync(now, cancellationToken).ConfigureAwait(false);
        if (released > 0)
        {
            LogLeasesReleased(logger, released);
        }
        var removed = await store.RemoveEndedMinutesAsync(now - KeepEndedMinutes, cancellationToken).ConfigureAwait(false);
        if (removed > 0)
        {
            LogMinutesRemoved(logger, removed);
        }
        return released;
    }

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Released {Count} budget leases of instances that stopped renewing them")]
    private static partial void LogLeasesReleased(ILogger logger, int count);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Debug, Message = "Removed {Count} rows of rate-limit minutes that ended")]
    private static partial void LogMinutesRemoved(ILogger logger, int count);
}
