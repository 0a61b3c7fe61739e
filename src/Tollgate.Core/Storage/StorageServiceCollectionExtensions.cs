using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tollgate.Configuration;

namespace Tollgate.Storage;

/// <summary>Registers <c>Tollgate:Storage</c> and, when it names a Table service, the one client every table uses.</summary>
internal static class StorageServiceCollectionExtensions
{
    /// <summary>Whether <c>Tollgate:Storage</c> names a Table service: every feature registers its durable stores only then.</summary>
    public static bool IsStorageConfigured(this IConfiguration configuration) =>
        (configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new StorageOptions()).IsConfigured;

    public static IServiceCollection AddTollgateStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<StorageOptions, StorageOptionsValidator>(configuration.GetSection(StorageOptions.Section));
        if (configuration.IsStorageConfigured())
        {
            services.TryAddSingleton<TableStorage>();
        }
        return services;
    }
}
