using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Tollgate.Diagnostics;
using Tollgate.Errors;

namespace Tollgate.Hosting;

public static class TollgateEndpointRouteBuilderExtensions
{
    private static readonly string[] Methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"];

    /// <summary>
    /// Maps every endpoint in <see cref="TollgateRoutes.All"/>: the OpenAI-compatible endpoints (under <c>/v1</c> and
    /// <c>/api/v1</c>), <c>/healthz</c> and the admin API. A known path called with another method gets 405 with
    /// <c>Allow</c>; an unknown path gets an OpenAI-shaped 404. Every one of these answers carries <c>x-request-id</c>
    /// (<see cref="RequestIdHeader"/>).
    /// </summary>
    public static IEndpointRouteBuilder MapTollgate(this IEndpointRouteBuilder endpoints)
    {
        var routes = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var route in TollgateRoutes.All)
        {
            endpoints.MapMethods(route.Pattern, [route.Method], RequestIdHeader.Around(route.Handler(endpoints.ServiceProvider)));
            if (!routes.TryGetValue(route.Pattern, out var methods))
            {
                routes[route.Pattern] = methods = [];
            }
            methods.Add(route.Method);
        }

        foreach (var (pattern, allowed) in routes)
        {
            var others = Methods.Except(allowed).ToArray();
            if (others.Length == 0)
            {
                // Mapping no methods would match every method, the allowed ones included.
                continue;
            }
            var allow = string.Join(", ", allowed);
            endpoints.MapMethods(pattern, others, RequestIdHeader.Around(context =>
            {
                context.Response.Headers.Allow = allow;
                return ApiErrorWriter.WriteAsync(context.Response, ApiErrors.MethodNotAllowed(context.Request.Method, allow));
            }));
        }

        // Unmatched paths get an OpenAI-shaped 404 instead of an empty body.
        endpoints.MapFallback(RequestIdHeader.Around(context => ApiErrorWriter.WriteAsync(context.Response, ApiErrors.NotFound)));
        return endpoints;
    }
}
