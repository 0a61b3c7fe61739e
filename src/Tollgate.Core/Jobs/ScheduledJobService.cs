using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Billing;
using Tollgate.Storage;

namespace Tollgate.Jobs;

/// <summary>
/// The standalone host's timer: runs <see cref="ScheduledJob"/> (lease release, then <see cref="UsageAggregator"/>) every <c>Billing:AggregationInterval</c>
/// (the Functions app runs the same job from its timer trigger instead). A failed run, whatever it threw, is logged (once
/// per streak of failures) and the next one picks up from the same watermark; only the host stopping ends the loop.
/// </summary>
public sealed partial class ScheduledJobService(ScheduledJob job, IOptions<BillingOptions> options, TimeProvider time, ILogger<ScheduledJobService> logger)
    : BackgroundService
{
    private readonly FailureStreak _failures = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.AggregationInterval, time);
        try
        {
            do
            {
                await RunOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }

    private async Task RunOnceAsync(CancellationToken stoppingToken)
    {
        try
        {
            await job.RunAsync(stoppingToken).ConfigureAwait(false);
            if (_failures.Succeed() is > 0 and var failed)
            {
                LogRecovered(logger, failed);
            }
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // Storage out, stalled (the SDK's timeout), refusing, or a fault of ours: the next tick tries again.
            if (_failures.Fail())
            {
                LogRunFailed(logger, e.GetType().Name, FailureStreak.Reason(e));
            }
            else
            {
                LogRunFailedAgain(logger, _failures.Count, FailureStreak.Reason(e));
            }
        }
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning,
        Message = "Usage aggregation failed ({Error}: {Reason}); every run tries again from the same watermark, and this is logged once until one succeeds")]
    private static partial void LogRunFailed(ILogger logger, string error, string reason);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Debug, Message = "Usage aggregation failed again ({Failures} runs in a row; {Reason})")]
    private static partial void LogRunFailedAgain(ILogger logger, int failures, string reason);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Information, Message = "Usage aggregation runs again after {Failures} failed runs")]
    private static partial void LogRecovered(ILogger logger, int failures);
}
