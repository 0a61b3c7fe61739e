using Microsoft.Extensions.Logging;

namespace Tollgate.Quota;

/// <summary>
/// Gives back what the leases of instances that died (or stalled) held in the shared budget accounts: run by the
/// scheduled job, since a dead instance cannot give back its own.
/// </summary>
public sealed partial class LeaseReleaser(IQuotaStore store, TimeProvider time, ILogger<LeaseReleaser> logger)
{
    /// <summary>Gives back what the leases of dead (or stalled) instances held; returns how many were released.</summary>
    public async Task<int> ReleaseExpiredLeasesAsync(CancellationToken cancellationToken)
    {
        var released = await store.ReleaseExpiredLeasesAsync(time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (released > 0)
        {
            LogLeasesReleased(logger, released);
        }
        return released;
    }

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Released {Count} budget leases of instances that stopped renewing them")]
    private static partial void LogLeasesReleased(ILogger logger, int count);
}
