using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tollgate.Configuration;
using Tollgate.Storage;

namespace Tollgate.Usage;

/// <summary>
/// Registers metering: token counting, and where usage records go (the durable ledger with storage, memory without it,
/// which start-up warns of), with the reader of stored records.
/// </summary>
internal static class UsageServiceCollectionExtensions
{
    public static IServiceCollection AddTollgateMetering(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<UsageLedgerOptions, UsageLedgerOptionsValidator>(configuration.GetSection(UsageLedgerOptions.Section));
        services.AddValidatedOptions<TokenizerOptions, TokenizerOptionsValidator>(configuration.GetSection(TokenizerOptions.Section));
        services.TryAddSingleton<TokenCounter>();
        if (configuration.IsStorageConfigured())
        {
            services.TryAddSingleton<TableUsageLedger>();
            services.TryAddSingleton<IUsageSink>(sp => sp.GetRequiredService<TableUsageLedger>());
            services.AddHostedService(sp => sp.GetRequiredService<TableUsageLedger>());
            services.TryAddSingleton<UsageReader>();
        }
        else
        {
            services.TryAddSingleton<IUsageSink, InMemoryUsageSink>();
        }
        return services;
    }
}
