using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Tollgate.Billing;
using Tollgate.Quota;

namespace Tollgate.Jobs;

/// <summary>
/// Registers the timer's job (expired leases released, then usage rolled up); the standalone host also runs it in
/// process (<c>AddTollgateAggregationService</c>), the Functions app from its timer trigger.
/// </summary>
internal static class JobsServiceCollectionExtensions
{
    public static IServiceCollection AddTollgateJobs(this IServiceCollection services)
    {
        // The aggregator exists only with storage: null without it (only leases are released).
        services.TryAddSingleton(sp => new ScheduledJob(sp.GetRequiredService<LeaseReleaser>(), sp.GetRequiredService<ILogger<ScheduledJob>>(),
            sp.GetService<UsageAggregator>()));
        return services;
    }
}
