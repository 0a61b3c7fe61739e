using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Admin;
using Tollgate.Billing;
using Tollgate.Diagnostics;
using Tollgate.Keys;
using Tollgate.Proxy;
using Tollgate.Quota;
using Tollgate.Routing;
using Tollgate.Storage;
using Tollgate.Usage;

namespace Tollgate.Hosting;

public static class TollgateServiceCollectionExtensions
{
    /// <summary>
    /// Registers the gateway from the <c>Tollgate</c> section. Every service is added with <c>TryAdd</c>, so a
    /// host or test that registered its own piece first keeps it. With <c>Tollgate:Storage</c> configured,
    /// keys also come from the keys table and usage goes to the durable ledger; without it, keys come from
    /// configuration only and usage stays in memory (start-up logs a warning).
    /// </summary>
    public static IServiceCollection AddTollgate(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TollgateOptions>().Bind(configuration.GetSection(TollgateOptions.Section))
            .PostConfigure(options =>
            {
                foreach (var upstream in options.Upstreams.Values)
                {
                    upstream.ApplyModelMap();
                }
            })
            .ValidateOnStart();
        services.AddOptions<StorageOptions>().Bind(configuration.GetSection(StorageOptions.Section)).ValidateOnStart();
        services.AddOptions<UsageLedgerOptions>().Bind(configuration.GetSection(UsageLedgerOptions.Section)).ValidateOnStart();
        services.AddOptions<AdminOptions>().Bind(configuration.GetSection(AdminOptions.Section)).ValidateOnStart();
        services.AddOptions<TokenizerOptions>().Bind(configuration.GetSection(TokenizerOptions.Section)).ValidateOnStart();
        services.AddOptions<BillingOptions>().Bind(configuration.GetSection(BillingOptions.Section)).ValidateOnStart();
        services.AddOptions<QuotaOptions>().Bind(configuration.GetSection(QuotaOptions.Section)).ValidateOnStart();
        services.AddOptions<ResilienceOptions>().Bind(configuration.GetSection(ResilienceOptions.Section))
            .Validate(o => o.Problem() is null, "Tollgate:Resilience is invalid: MaxAttempts 1 to 10, FailureRatio in (0, 1], MinimumThroughput at least 2, StreamAttemptTimeout and AttemptTimeout 10 ms to 24 hours, other durations positive.")
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<QuotaOptions>, QuotaOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TollgateOptions>, TollgateOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageOptions>, TollgateOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UsageLedgerOptions>, TollgateOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AdminOptions>, TollgateOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TokenizerOptions>, TollgateOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BillingOptions>, BillingOptionsValidator>());
        services.AddMetrics();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TollgateMetrics>();
        services.TryAddSingleton<ModelRouter>();
        services.TryAddSingleton<TokenCounter>();
        services.TryAddSingleton<KeyHasher>();
        services.TryAddSingleton<ConfigurationKeyStore>();
        services.TryAddSingleton<ApiKeyAuthenticator>();
        services.TryAddSingleton<AdminAuthenticator>();
        services.TryAddSingleton<AdminHandlers>();
        services.TryAddSingleton(sp => UpstreamClient.Create(sp.GetRequiredService<IOptions<TollgateOptions>>()));
        services.TryAddSingleton<UpstreamRequestFactory>();
        services.TryAddSingleton(sp => new StreamRelay(sp.GetRequiredService<IOptions<TollgateOptions>>().Value, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<StreamRelay>()));
        services.TryAddSingleton(sp => new CompletionRelay(sp.GetRequiredService<IOptions<TollgateOptions>>().Value, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<CompletionRelay>()));
        services.TryAddSingleton<UpstreamForwarder>();
        services.TryAddSingleton<UsageSettlement>();
        services.TryAddSingleton<PriceBook>();
        services.TryAddSingleton<KeyRateLimiter>();
        services.AddHostedService(sp => sp.GetRequiredService<PriceBook>());
        services.TryAddSingleton<OwnerBudgets>();
        services.AddHostedService(sp => sp.GetRequiredService<OwnerBudgets>());
        services.TryAddSingleton<QuotaAccounts>();
        services.TryAddSingleton<BillingJob>();
        services.AddHostedService(sp => sp.GetRequiredService<QuotaAccounts>());
        services.TryAddSingleton<ChatCompletionsHandler>();
        services.TryAddSingleton<ModelsHandler>();
        services.TryAddSingleton<KeyUsageHandler>();
        services.TryAddSingleton<BillingAdminHandlers>();
        services.TryAddSingleton<BudgetAdminHandlers>();
        services.TryAddSingleton<DeploymentAdminHandlers>();
        services.AddHostedService<StartupReport>();

        var storage = configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        if (storage.IsConfigured)
        {
            services.TryAddSingleton<TableStorage>();
            services.TryAddSingleton<KeyTable>();
            services.TryAddSingleton<TableKeyLookup>();
            services.TryAddSingleton<TableKeyAdministrator>();
            services.TryAddSingleton(sp => new CachingKeyStore(sp.GetRequiredService<TableKeyLookup>(), sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<IOptions<TollgateOptions>>().Value.KeyCacheTtl));
            services.TryAddSingleton<IKeyStore>(sp => new CompositeKeyStore(sp.GetRequiredService<ConfigurationKeyStore>(), sp.GetRequiredService<CachingKeyStore>()));
            services.TryAddSingleton<TableUsageLedger>();
            services.TryAddSingleton<IUsageSink>(sp => sp.GetRequiredService<TableUsageLedger>());
            services.AddHostedService(sp => sp.GetRequiredService<TableUsageLedger>());
            services.TryAddSingleton<UsageReader>();
            services.TryAddSingleton<PriceStore>();
            services.TryAddSingleton<RollupStore>();
            services.TryAddSingleton<UsageAggregator>();
            services.TryAddSingleton<OwnerBudgetStore>();
            services.TryAddSingleton<IQuotaStore, TableQuotaStore>();
        }
        else
        {
            services.TryAddSingleton<IKeyStore>(sp => sp.GetRequiredService<ConfigurationKeyStore>());
            services.TryAddSingleton<IUsageSink, InMemoryUsageSink>();
            services.TryAddSingleton<IQuotaStore, MemoryQuotaStore>();
        }
        return services;
    }

    /// <summary>
    /// Rolls usage up every <c>Billing:AggregationInterval</c> in this process, when storage is configured: for hosts
    /// without a timer of their own (the standalone host). The Functions app uses its timer trigger instead.
    /// </summary>
    public static IServiceCollection AddTollgateAggregationService(this IServiceCollection services, IConfiguration configuration)
    {
        var storage = configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        if (storage.IsConfigured)
        {
            services.AddHostedService<AggregationService>();
        }
        return services;
    }
}
