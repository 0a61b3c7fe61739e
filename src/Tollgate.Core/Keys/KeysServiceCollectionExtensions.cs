using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Tollgate.Configuration;
using Tollgate.Storage;

namespace Tollgate.Keys;

/// <summary>
/// Registers client keys: those of configuration always, and with storage the keys table behind a cache, so a key is
/// found in either; the authenticator that checks a request's bearer key against them.
/// </summary>
internal static class KeysServiceCollectionExtensions
{
    public static IServiceCollection AddTollgateKeys(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<KeysOptions, KeysOptionsValidator>(configuration.GetSection(KeysOptions.Section));
        services.TryAddSingleton<KeyHasher>();
        services.TryAddSingleton<ConfigurationKeyStore>();
        services.TryAddSingleton<ApiKeyAuthenticator>();
        if (configuration.IsStorageConfigured())
        {
            services.TryAddSingleton<KeyTable>();
            services.TryAddSingleton<TableKeyLookup>();
            services.TryAddSingleton<TableKeyAdministrator>();
            services.TryAddSingleton(sp => new CachingKeyStore(sp.GetRequiredService<TableKeyLookup>(), sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<IOptions<KeysOptions>>().Value.KeyCacheTtl));
            services.TryAddSingleton<IKeyStore>(sp => new CompositeKeyStore(sp.GetRequiredService<ConfigurationKeyStore>(), sp.GetRequiredService<CachingKeyStore>()));
        }
        else
        {
            services.TryAddSingleton<IKeyStore>(sp => sp.GetRequiredService<ConfigurationKeyStore>());
        }
        return services;
    }
}
