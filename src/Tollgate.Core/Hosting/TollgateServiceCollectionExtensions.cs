using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Tollgate.Diagnostics;
using Tollgate.Keys;
using Tollgate.Proxy;
using Tollgate.Routing;
using Tollgate.Usage;

namespace Tollgate.Hosting;

public static class TollgateServiceCollectionExtensions
{
    /// <summary>
    /// Registers the gateway from the <c>Tollgate</c> section. Every service is added with <c>TryAdd</c>, so a
    /// host or test that registered its own piece first keeps it.
    /// </summary>
    public static IServiceCollection AddTollgate(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TollgateOptions>()
            .Bind(configuration.GetSection(TollgateOptions.Section))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TollgateOptions>, TollgateOptionsValidator>());
        services.AddMetrics();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TollgateMetrics>();
        services.TryAddSingleton<ModelRouter>();
        services.TryAddSingleton<IKeyStore, ConfigurationKeyStore>();
        services.TryAddSingleton<ApiKeyAuthenticator>();
        services.TryAddSingleton<IUsageSink, InMemoryUsageSink>();
        services.TryAddSingleton(sp => UpstreamClient.Create(sp.GetRequiredService<IOptions<TollgateOptions>>()));
        services.TryAddSingleton<ChatCompletionsHandler>();
        services.TryAddSingleton<ModelsHandler>();
        return services;
    }
}
