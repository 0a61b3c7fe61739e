using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Configuration;
using Tollgate.Billing;
using Tollgate.Jobs;
using Tollgate.Keys;
using Tollgate.Pricing;
using Tollgate.Quota;
using Tollgate.Routing;
using Tollgate.Usage;

namespace Tollgate.Admin;

/// <summary>
/// Registers the admin API: its keys and authenticator, and the handlers of keys, billing, budgets and deployments. The
/// stores that exist only with storage are explicit constructor parameters, passed here: null without it.
/// </summary>
internal static class AdminServiceCollectionExtensions
{
    public static IServiceCollection AddTollgateAdmin(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<AdminOptions, AdminOptionsValidator>(configuration.GetSection(AdminOptions.Section));
        services.TryAddSingleton<AdminAuthenticator>();
        services.TryAddSingleton(sp => new KeyAdminHandlers(sp.GetRequiredService<AdminAuthenticator>(), sp.GetRequiredService<ModelRouter>(),
            sp.GetRequiredService<IOptions<KeysOptions>>(), sp.GetService<TableKeyAdministrator>(), sp.GetService<CachingKeyStore>(),
            sp.GetService<UsageReader>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<KeyAdminHandlers>>()));
        services.TryAddSingleton(sp => new BillingAdminHandlers(sp.GetRequiredService<AdminAuthenticator>(), sp.GetRequiredService<PriceBook>(),
            sp.GetRequiredService<IOptions<PricingOptions>>(), sp.GetRequiredService<IOptions<KeysOptions>>(), sp.GetRequiredService<ModelRouter>(),
            sp.GetService<TableKeyAdministrator>(), sp.GetService<RollupStore>(), sp.GetRequiredService<ScheduledJob>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<BillingAdminHandlers>>()));
        services.TryAddSingleton(sp => new BudgetAdminHandlers(sp.GetRequiredService<AdminAuthenticator>(), sp.GetRequiredService<OwnerBudgets>(),
            sp.GetService<OwnerBudgetStore>(), sp.GetRequiredService<ILogger<BudgetAdminHandlers>>(), sp.GetRequiredService<BudgetReader>(),
            sp.GetService<TableKeyAdministrator>()));
        services.TryAddSingleton<DeploymentAdminHandlers>();
        return services;
    }
}
