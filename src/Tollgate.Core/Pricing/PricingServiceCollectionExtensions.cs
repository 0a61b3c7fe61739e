using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Configuration;
using Tollgate.Storage;

namespace Tollgate.Pricing;

/// <summary>Registers prices and the currency: configuration's prices, and with storage those stored through the admin API.</summary>
internal static class PricingServiceCollectionExtensions
{
    public static IServiceCollection AddTollgatePricing(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<PricingOptions, PricingOptionsValidator>(configuration.GetSection(PricingOptions.Section));
        if (configuration.IsStorageConfigured())
        {
            services.TryAddSingleton<PriceStore>();
        }
        // The stored prices' store exists only with storage: null without it.
        services.TryAddSingleton(sp => new PriceBook(sp.GetRequiredService<IOptions<PricingOptions>>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<PriceBook>>(), sp.GetService<PriceStore>()));
        services.AddHostedService(sp => sp.GetRequiredService<PriceBook>());
        return services;
    }
}
