using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Storage;

namespace Tollgate.Billing;

/// <summary>
/// The standalone host's aggregation timer: runs <see cref="BillingJob"/> (lease release, then <see cref="UsageAggregator"/>) every <c>Billing:AggregationInterval</c>
/// (the Functions app runs the same job from its timer trigger instead). A failed run is logged and the next one
/// picks up from the same watermark.
/// </summary>
public sealed partial class AggregationService(BillingJob job, IOptions<BillingOptions> options, TimeProvider time, ILogger<AggregationService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.AggregationInterval, time);
        do
        {
            try
            {
                await job.RunAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (TableStorage.IsOutage(e) || e is Azure.RequestFailedException)
            {
                // The status and the service's code only: messages can carry account URLs.
                LogRunFailed(logger, e.GetType().Name, e is Azure.RequestFailedException r ? $"{r.Status} {r.ErrorCode}" : "no answer");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "Usage aggregation failed ({Error}: {Reason}); the next run starts from the same watermark")]
    private static partial void LogRunFailed(ILogger logger, string error, string reason);
}
