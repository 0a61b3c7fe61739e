using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Pricing;
using Tollgate.Configuration;

namespace Tollgate.Proxy;

/// <summary>Registers the request path: its limits, the relays, the forwarder, usage settlement and the handlers.</summary>
internal static class ProxyServiceCollectionExtensions
{
    public static IServiceCollection AddTollgateProxy(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<ProxyOptions, ProxyOptionsValidator>(configuration.GetSection(ProxyOptions.Section));
        services.TryAddSingleton(sp => new StreamRelay(sp.GetRequiredService<IOptions<ProxyOptions>>().Value, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<StreamRelay>(), sp.GetRequiredService<IOptions<PricingOptions>>().Value.Currency));
        services.TryAddSingleton(sp => new CompletionRelay(sp.GetRequiredService<IOptions<ProxyOptions>>().Value, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<CompletionRelay>(), sp.GetRequiredService<IOptions<PricingOptions>>().Value.Currency));
        services.TryAddSingleton<UpstreamForwarder>();
        services.TryAddSingleton<UsageSettlement>();
        services.TryAddSingleton<ChatCompletionsHandler>();
        services.TryAddSingleton<ModelsHandler>();
        return services;
    }
}
