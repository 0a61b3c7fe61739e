using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Tollgate.Configuration;
using Tollgate.Keys;
using Tollgate.Pricing;
using Tollgate.Quota;
using Tollgate.Storage;

namespace Tollgate.Billing;

/// <summary>Registers rollups and statements (with storage) and <c>GET /v1/usage</c>, a key's own spend.</summary>
internal static class BillingServiceCollectionExtensions
{
    public static IServiceCollection AddTollgateBilling(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<BillingOptions, BillingOptionsValidator>(configuration.GetSection(BillingOptions.Section));
        if (configuration.IsStorageConfigured())
        {
            services.TryAddSingleton<RollupStore>();
            services.TryAddSingleton<UsageAggregator>();
        }
        // Rollups exist only with storage: null without it (the answer is then 503).
        services.TryAddSingleton(sp => new KeyUsageHandler(sp.GetRequiredService<ApiKeyAuthenticator>(), sp.GetRequiredService<IOptions<PricingOptions>>(),
            sp.GetService<RollupStore>(), sp.GetRequiredService<BudgetReader>(), sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
