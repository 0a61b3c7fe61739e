using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tollgate.Admin;
using Tollgate.Billing;
using Tollgate.Diagnostics;
using Tollgate.Jobs;
using Tollgate.Keys;
using Tollgate.Pricing;
using Tollgate.Proxy;
using Tollgate.Quota;
using Tollgate.Routing;
using Tollgate.Storage;
using Tollgate.Upstreams;
using Tollgate.Usage;

namespace Tollgate.Hosting;

public static class TollgateServiceCollectionExtensions
{
    /// <summary>
    /// Registers the gateway from the <c>Tollgate</c> section: each feature registers itself (its options, validated at
    /// start-up next to their class, and its services), composed here in the order of their dependencies. Every service
    /// is added with <c>TryAdd</c>, so a host or test that registered its own piece first keeps it. With
    /// <c>Tollgate:Storage</c> configured, keys also come from the keys table and usage goes to the durable ledger;
    /// without it, keys come from configuration only and usage stays in memory (start-up logs a warning).
    /// </summary>
    public static IServiceCollection AddTollgate(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddTollgateDiagnostics()
            .AddTollgateStorage(configuration)
            .AddTollgateKeys(configuration)
            .AddTollgateUpstreams(configuration)
            .AddTollgateRouting(configuration)
            .AddTollgatePricing(configuration)
            .AddTollgateQuota(configuration)
            .AddTollgateProxy(configuration)
            .AddTollgateBilling(configuration)
            .AddTollgateJobs()
            .AddTollgateAdmin(configuration);
        services.AddHostedService<StartupReport>();
        // Metering last: hosted services stop in the reverse order of registration, so the usage ledger is the first to
        // stop (and flush) when the host shuts down, as it always was.
        services.AddTollgateMetering(configuration);
        return services;
    }

    /// <summary>
    /// Runs the timer's job (<see cref="ScheduledJob"/>: expired leases released, then usage rolled up) every
    /// <c>Billing:AggregationInterval</c> in this process, when storage is configured: for hosts
    /// without a timer of their own (the standalone host). The Functions app uses its timer trigger instead.
    /// </summary>
    public static IServiceCollection AddTollgateAggregationService(this IServiceCollection services, IConfiguration configuration)
    {
        if (configuration.IsStorageConfigured())
        {
            services.AddHostedService<ScheduledJobService>();
        }
        return services;
    }
}
