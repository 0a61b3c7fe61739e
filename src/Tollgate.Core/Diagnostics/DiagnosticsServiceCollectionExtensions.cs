using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Tollgate.Diagnostics;

/// <summary>Registers the <c>Tollgate</c> meter every feature reports through.</summary>
internal static class DiagnosticsServiceCollectionExtensions
{
    public static IServiceCollection AddTollgateDiagnostics(this IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton<TollgateMetrics>();
        return services;
    }
}
