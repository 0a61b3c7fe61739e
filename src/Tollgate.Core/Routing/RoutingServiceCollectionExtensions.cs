using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Tollgate.Configuration;
using Tollgate.Keys;

namespace Tollgate.Routing;

/// <summary>
/// Registers the upstreams and routes of configuration (each upstream's <c>ModelMap</c> merged into its models), the
/// resilience settings, and the router built from them; and the check that configured keys name served models.
/// </summary>
internal static class RoutingServiceCollectionExtensions
{
    public static IServiceCollection AddTollgateRouting(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<RoutingOptions, RoutingOptionsValidator>(configuration.GetSection(RoutingOptions.Section))
            .PostConfigure(options =>
            {
                foreach (var upstream in options.Upstreams.Values)
                {
                    upstream.ApplyModelMap();
                }
            });
        services.AddValidatedOptions<ResilienceOptions, ResilienceOptionsValidator>(configuration.GetSection(ResilienceOptions.Section));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KeysOptions>, KeyModelsValidator>());
        services.TryAddSingleton<ModelRouter>();
        return services;
    }
}
