using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Tollgate.Proxy;

namespace Tollgate.Hosting;

public static class TollgateKestrelExtensions
{
    /// <summary>
    /// Raises Kestrel's request body limit (never lowers it) to what Tollgate may read of a body: its cap plus one, and
    /// what a refused body may be drained to (<see cref="ProxyOptions.OversizedBodyDrainBytes"/>, by default the
    /// Functions host's own 100 MiB). Below that the server would refuse to read, and reset, a connection Tollgate means
    /// to close in stages. For the standalone host and the Functions worker (both on Kestrel).
    /// </summary>
    public static IServiceCollection AddTollgateKestrelLimits(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Transient<IConfigureOptions<KestrelServerOptions>, KestrelBodyLimitSetup>());
        return services;
    }

    private sealed class KestrelBodyLimitSetup(IOptions<ProxyOptions> options) : IConfigureOptions<KestrelServerOptions>
    {
        public void Configure(KestrelServerOptions kestrel)
        {
            var needed = Math.Max(options.Value.MaxRequestBodyBytes + 1, options.Value.OversizedBodyDrainBytes);
            if (kestrel.Limits.MaxRequestBodySize is { } limit && limit < needed)
            {
                kestrel.Limits.MaxRequestBodySize = needed;
            }
        }
    }
}
