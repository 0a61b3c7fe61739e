using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
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
    /// Registers the gateway from the <c>Tollgate</c> section. Every service is added with <c>TryAdd</c>, so a
    /// host or test that registered its own piece first keeps it. With <c>Tollgate:Storage</c> configured,
    /// keys also come from the keys table and usage goes to the durable ledger; without it, keys come from
    /// configuration only and usage stays in memory (start-up logs a warning).
    /// </summary>
    public static IServiceCollection AddTollgate(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ProxyOptions>().Bind(configuration.GetSection(ProxyOptions.Section)).ValidateOnStart();
        services.AddOptions<KeysOptions>().Bind(configuration.GetSection(KeysOptions.Section)).ValidateOnStart();
        services.AddOptions<RoutingOptions>().Bind(configuration.GetSection(RoutingOptions.Section))
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
        services.AddOptions<PricingOptions>().Bind(configuration.GetSection(PricingOptions.Section)).ValidateOnStart();
        services.AddOptions<BillingOptions>().Bind(configuration.GetSection(BillingOptions.Section)).ValidateOnStart();
        services.AddOptions<QuotaOptions>().Bind(configuration.GetSection(QuotaOptions.Section)).ValidateOnStart();
        services.AddOptions<ResilienceOptions>().Bind(configuration.GetSection(ResilienceOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<QuotaOptions>, QuotaOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ProxyOptions>, ProxyOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KeysOptions>, KeysOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KeysOptions>, KeyModelsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RoutingOptions>, RoutingOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ResilienceOptions>, ResilienceOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UsageLedgerOptions>, UsageLedgerOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AdminOptions>, AdminOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TokenizerOptions>, TokenizerOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PricingOptions>, PricingOptionsValidator>());
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
        // The admin handlers take the stores that exist only with storage as explicit parameters: null without it.
        services.TryAddSingleton(sp => new KeyAdminHandlers(sp.GetRequiredService<AdminAuthenticator>(), sp.GetRequiredService<ModelRouter>(),
            sp.GetRequiredService<IOptions<KeysOptions>>(), sp.GetService<TableKeyAdministrator>(), sp.GetService<CachingKeyStore>(),
            sp.GetService<UsageReader>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<KeyAdminHandlers>>()));
        services.TryAddSingleton(sp => UpstreamClient.Create(sp.GetRequiredService<IOptions<ProxyOptions>>().Value.UpstreamConnectTimeout));
        services.TryAddSingleton<UpstreamRequestFactory>();
        services.TryAddSingleton(sp => new StreamRelay(sp.GetRequiredService<IOptions<ProxyOptions>>().Value, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<StreamRelay>()));
        services.TryAddSingleton(sp => new CompletionRelay(sp.GetRequiredService<IOptions<ProxyOptions>>().Value, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<CompletionRelay>()));
        services.TryAddSingleton<UpstreamForwarder>();
        services.TryAddSingleton<UsageSettlement>();
        services.TryAddSingleton(sp => new PriceBook(sp.GetRequiredService<IOptions<PricingOptions>>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<PriceBook>>(), sp.GetService<PriceStore>()));
        services.TryAddSingleton<KeyRateLimiter>();
        services.AddHostedService(sp => sp.GetRequiredService<PriceBook>());
        services.TryAddSingleton(sp => new OwnerBudgets(sp.GetRequiredService<IOptions<QuotaOptions>>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<OwnerBudgets>(), sp.GetService<OwnerBudgetStore>()));
        services.AddHostedService(sp => sp.GetRequiredService<OwnerBudgets>());
        services.TryAddSingleton<LocalAccounts>();
        services.TryAddSingleton<QuotaAccounts>();
        services.TryAddSingleton<QuotaFlusher>();
        services.TryAddSingleton<BudgetReader>();
        services.TryAddSingleton<LeaseReleaser>();
        services.TryAddSingleton(sp => new ScheduledJob(sp.GetRequiredService<LeaseReleaser>(), sp.GetRequiredService<ILogger<ScheduledJob>>(),
            sp.GetService<UsageAggregator>()));
        services.AddHostedService(sp => sp.GetRequiredService<QuotaFlusher>());
        services.TryAddSingleton<ChatCompletionsHandler>();
        services.TryAddSingleton<ModelsHandler>();
        services.TryAddSingleton(sp => new KeyUsageHandler(sp.GetRequiredService<ApiKeyAuthenticator>(), sp.GetRequiredService<IOptions<PricingOptions>>(),
            sp.GetService<RollupStore>(), sp.GetRequiredService<BudgetReader>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => new BillingAdminHandlers(sp.GetRequiredService<AdminAuthenticator>(), sp.GetRequiredService<PriceBook>(),
            sp.GetRequiredService<IOptions<PricingOptions>>(), sp.GetRequiredService<IOptions<KeysOptions>>(), sp.GetRequiredService<ModelRouter>(),
            sp.GetService<TableKeyAdministrator>(), sp.GetService<RollupStore>(), sp.GetRequiredService<ScheduledJob>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<BillingAdminHandlers>>()));
        services.TryAddSingleton(sp => new BudgetAdminHandlers(sp.GetRequiredService<AdminAuthenticator>(), sp.GetRequiredService<OwnerBudgets>(),
            sp.GetService<OwnerBudgetStore>(), sp.GetRequiredService<ILogger<BudgetAdminHandlers>>()));
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
                sp.GetRequiredService<IOptions<KeysOptions>>().Value.KeyCacheTtl));
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
    /// Runs the timer's job (<see cref="ScheduledJob"/>: expired leases released, then usage rolled up) every
    /// <c>Billing:AggregationInterval</c> in this process, when storage is configured: for hosts
    /// without a timer of their own (the standalone host). The Functions app uses its timer trigger instead.
    /// </summary>
    public static IServiceCollection AddTollgateAggregationService(this IServiceCollection services, IConfiguration configuration)
    {
        var storage = configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions();
        if (storage.IsConfigured)
        {
            services.AddHostedService<ScheduledJobService>();
        }
        return services;
    }
}
