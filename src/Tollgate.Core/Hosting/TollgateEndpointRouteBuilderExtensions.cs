using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Proxy;

namespace Tollgate.Hosting;

public static class TollgateEndpointRouteBuilderExtensions
{
    /// <summary>Maps the OpenAI-compatible endpoints (under <c>/v1</c> and <c>/api/v1</c>) and <c>/healthz</c>.</summary>
    public static IEndpointRouteBuilder MapTollgate(this IEndpointRouteBuilder endpoints)
    {
        var chat = endpoints.ServiceProvider.GetRequiredService<ChatCompletionsHandler>();
        var models = endpoints.ServiceProvider.GetRequiredService<ModelsHandler>();
        foreach (var prefix in new[] { "/v1", "/api/v1" })
        {
            endpoints.MapPost(prefix + "/chat/completions", chat.HandleAsync);
            endpoints.MapGet(prefix + "/models", models.HandleAsync);
        }
        endpoints.MapGet("/healthz", HealthHandler.HandleAsync);

        var admin = endpoints.ServiceProvider.GetRequiredService<Admin.AdminHandlers>();
        endpoints.MapPost("/admin/keys", admin.CreateKeyAsync);
        endpoints.MapGet("/admin/keys", admin.ListKeysAsync);
        endpoints.MapGet("/admin/keys/{id}", admin.GetKeyAsync);
        endpoints.MapPatch("/admin/keys/{id}", admin.UpdateKeyAsync);
        endpoints.MapPost("/admin/keys/{id}/disable", admin.DisableKeyAsync);
        endpoints.MapPost("/admin/keys/{id}/enable", admin.EnableKeyAsync);
        endpoints.MapPost("/admin/keys/{id}/revoke", admin.RevokeKeyAsync);
        endpoints.MapGet("/admin/keys/{id}/usage", admin.KeyUsageAsync);

        // Unmatched paths get an OpenAI-shaped 404 instead of an empty body.
        endpoints.MapFallback(context => ApiErrorWriter.WriteAsync(context.Response, ApiErrors.NotFound));
        return endpoints;
    }
}
