using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Tollgate.Configuration;

namespace Tollgate.Upstreams;

/// <summary>Registers what calls upstream providers: the one HTTP client and the factory of upstream requests.</summary>
internal static class UpstreamsServiceCollectionExtensions
{
    public static IServiceCollection AddTollgateUpstreams(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<UpstreamClientOptions, UpstreamClientOptionsValidator>(configuration.GetSection(UpstreamClientOptions.Section));
        services.TryAddSingleton(sp => UpstreamClient.Create(sp.GetRequiredService<IOptions<UpstreamClientOptions>>().Value.UpstreamConnectTimeout));
        services.TryAddSingleton<UpstreamRequestFactory>();
        return services;
    }
}
