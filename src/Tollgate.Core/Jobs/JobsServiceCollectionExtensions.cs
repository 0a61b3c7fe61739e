using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Tollgate.Billing;
using Tollgate.Quota;
using Tollgate.Storage;

namespace Tollgate.Jobs;

/// <summary>
/// Registers the timer's job (expired leases released, then usage rolled up); the standalone host also runs it in
/// process (<see cref="AddTollgateScheduledJobService"/>), the Functions app from its timer trigger.
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

    /// <summary>Runs <see cref="ScheduledJob"/> every <c>Billing:AggregationInterval</c> in this process, when storage is configured.</summary>
    public static IServiceCollection AddTollgateScheduledJobService(this IServiceCollection services, IConfiguration configuration)
    {
        if (configuration.IsStorageConfigured())
        {
            services.AddHostedService<ScheduledJobService>();
        }
        return services;
    }
}
