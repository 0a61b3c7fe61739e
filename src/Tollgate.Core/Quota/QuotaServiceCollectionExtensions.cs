using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Configuration;
using Tollgate.Storage;

namespace Tollgate.Quota;

/// <summary>
/// Registers rate limits and budgets: the per-key limiter, owner budgets, the instance's budget accounts (reserve and
/// settle, the flusher that reports them, the reader for <c>/v1/usage</c>, the lease releaser for the timer), over the
/// shared accounts in Table Storage, or in memory without storage.
/// </summary>
internal static class QuotaServiceCollectionExtensions
{
    public static IServiceCollection AddTollgateQuota(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<QuotaOptions, QuotaOptionsValidator>(configuration.GetSection(QuotaOptions.Section));
        if (configuration.IsStorageConfigured())
        {
            services.TryAddSingleton<OwnerBudgetStore>();
            services.TryAddSingleton<IQuotaStore, TableQuotaStore>();
        }
        else
        {
            services.TryAddSingleton<IQuotaStore, MemoryQuotaStore>();
        }
        services.TryAddSingleton<KeyRateLimiter>();
        // Stored owner budgets exist only with storage: null without it.
        services.TryAddSingleton(sp => new OwnerBudgets(sp.GetRequiredService<IOptions<QuotaOptions>>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<OwnerBudgets>(), sp.GetService<OwnerBudgetStore>()));
        services.AddHostedService(sp => sp.GetRequiredService<OwnerBudgets>());
        services.TryAddSingleton<LocalAccounts>();
        services.TryAddSingleton<QuotaAccounts>();
        services.TryAddSingleton<QuotaFlusher>();
        services.TryAddSingleton<BudgetReader>();
        services.TryAddSingleton<LeaseReleaser>();
        services.AddHostedService(sp => sp.GetRequiredService<QuotaFlusher>());
        return services;
    }
}
