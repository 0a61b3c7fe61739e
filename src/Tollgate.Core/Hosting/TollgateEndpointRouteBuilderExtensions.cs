using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Billing;
using Tollgate.Errors;
using Tollgate.Proxy;

namespace Tollgate.Hosting;

public static class TollgateEndpointRouteBuilderExtensions
{
    private static readonly string[] Methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"];

    /// <summary>
    /// Maps the OpenAI-compatible endpoints (under <c>/v1</c> and <c>/api/v1</c>), <c>/healthz</c> and the admin API.
    /// A known path called with another method gets 405 with <c>Allow</c>; an unknown path gets an OpenAI-shaped 404.
    /// </summary>
    public static IEndpointRouteBuilder MapTollgate(this IEndpointRouteBuilder endpoints)
    {
        var chat = endpoints.ServiceProvider.GetRequiredService<ChatCompletionsHandler>();
        var models = endpoints.ServiceProvider.GetRequiredService<ModelsHandler>();
        var usage = endpoints.ServiceProvider.GetRequiredService<KeyUsageHandler>();
        var admin = endpoints.ServiceProvider.GetRequiredService<Admin.AdminHandlers>();
        var billing = endpoints.ServiceProvider.GetRequiredService<Admin.BillingAdminHandlers>();
        var budgets = endpoints.ServiceProvider.GetRequiredService<Admin.BudgetAdminHandlers>();
        var routes = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Map(string method, string pattern, RequestDelegate handler)
        {
            endpoints.MapMethods(pattern, [method], handler);
            if (!routes.TryGetValue(pattern, out var methods))
            {
                routes[pattern] = methods = [];
            }
            methods.Add(method);
        }

        foreach (var prefix in new[] { "/v1", "/api/v1" })
        {
            Map("POST", prefix + "/chat/completions", chat.HandleAsync);
            Map("GET", prefix + "/models", models.HandleAsync);
            Map("GET", prefix + "/usage", usage.HandleAsync);
        }
        Map("GET", "/healthz", HealthHandler.HandleAsync);

        Map("POST", "/manage/keys", admin.CreateKeyAsync);
        Map("GET", "/manage/keys", admin.ListKeysAsync);
        Map("GET", "/manage/keys/{id}", admin.GetKeyAsync);
        Map("PATCH", "/manage/keys/{id}", admin.UpdateKeyAsync);
        Map("POST", "/manage/keys/{id}/disable", admin.DisableKeyAsync);
        Map("POST", "/manage/keys/{id}/enable", admin.EnableKeyAsync);
        Map("POST", "/manage/keys/{id}/revoke", admin.RevokeKeyAsync);
        Map("GET", "/manage/keys/{id}/usage", admin.KeyUsageAsync);
        Map("GET", "/manage/keys/{id}/rollups", billing.KeyRollupsAsync);
        Map("GET", "/manage/keys/{id}/statement", billing.KeyStatementAsync);
        Map("GET", "/manage/owners/{owner}/rollups", billing.OwnerRollupsAsync);
        Map("GET", "/manage/owners/{owner}/statement", billing.OwnerStatementAsync);
        Map("GET", "/manage/owners/{owner}/budget", budgets.GetAsync);
        Map("PUT", "/manage/owners/{owner}/budget", budgets.SetAsync);
        Map("DELETE", "/manage/owners/{owner}/budget", budgets.DeleteAsync);
        Map("GET", "/manage/budgets", budgets.ListAsync);
        Map("GET", "/manage/prices", billing.ListPricesAsync);
        Map("PUT", "/manage/prices", billing.SetPriceAsync);
        Map("DELETE", "/manage/prices", billing.DeletePriceAsync);
        Map("POST", "/manage/billing/aggregate", billing.AggregateAsync);

        foreach (var (pattern, allowed) in routes)
        {
            var allow = string.Join(", ", allowed);
            endpoints.MapMethods(pattern, Methods.Except(allowed), context =>
            {
                context.Response.Headers.Allow = allow;
                return ApiErrorWriter.WriteAsync(context.Response, ApiErrors.MethodNotAllowed(context.Request.Method, allow));
            });
        }

        // Unmatched paths get an OpenAI-shaped 404 instead of an empty body.
        endpoints.MapFallback(context => ApiErrorWriter.WriteAsync(context.Response, ApiErrors.NotFound));
        return endpoints;
    }
}
