using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Admin;
using Tollgate.Billing;
using Tollgate.Proxy;

namespace Tollgate.Hosting;

/// <summary>
/// Every endpoint Tollgate serves, as data. The standalone host maps exactly these
/// (<see cref="TollgateEndpointRouteBuilderExtensions.MapTollgate"/>); the Functions app has one function per entry,
/// calling the same handler; a test holds the two hosts to this list.
/// </summary>
public static class TollgateRoutes
{
    /// <summary>One endpoint.</summary>
    /// <param name="Method">The HTTP method, upper case.</param>
    /// <param name="Pattern">The route pattern, from the root: <c>/manage/keys/{id}</c>.</param>
    /// <param name="Handler">The Core handler that serves it, from the host's services.</param>
    public sealed record Route(string Method, string Pattern, Func<IServiceProvider, RequestDelegate> Handler);

    /// <summary>
    /// In the order they are mapped: a path's methods are listed in this order in the <c>Allow</c> header of its 405.
    /// </summary>
    public static IReadOnlyList<Route> All { get; } =
    [
        .. OpenAi("/v1"),
        .. OpenAi("/api/v1"),
        new("GET", "/healthz", _ => HealthHandler.HandleAsync),
        new("GET", OpenApiHandler.Route, _ => OpenApiHandler.HandleAsync),
        new("GET", ConsoleHandler.Route, _ => ConsoleHandler.HandleAsync),

        Map<KeyAdminHandlers>("POST", "/manage/keys", h => h.CreateKeyAsync),
        Map<KeyAdminHandlers>("GET", "/manage/keys", h => h.ListKeysAsync),
        Map<KeyAdminHandlers>("GET", "/manage/keys/{id}", h => h.GetKeyAsync),
        Map<KeyAdminHandlers>("PATCH", "/manage/keys/{id}", h => h.UpdateKeyAsync),
        Map<KeyAdminHandlers>("POST", "/manage/keys/{id}/disable", h => h.DisableKeyAsync),
        Map<KeyAdminHandlers>("POST", "/manage/keys/{id}/enable", h => h.EnableKeyAsync),
        Map<KeyAdminHandlers>("POST", "/manage/keys/{id}/revoke", h => h.RevokeKeyAsync),
        Map<KeyAdminHandlers>("GET", "/manage/keys/{id}/usage", h => h.KeyUsageAsync),
        Map<BillingAdminHandlers>("GET", "/manage/keys/{id}/rollups", h => h.KeyRollupsAsync),
        Map<BillingAdminHandlers>("GET", "/manage/keys/{id}/statement", h => h.KeyStatementAsync),
        Map<BillingAdminHandlers>("GET", "/manage/owners/{owner}/rollups", h => h.OwnerRollupsAsync),
        Map<BillingAdminHandlers>("GET", "/manage/owners/{owner}/statement", h => h.OwnerStatementAsync),
        Map<BudgetAdminHandlers>("GET", "/manage/owners/{owner}/budget", h => h.GetAsync),
        Map<BudgetAdminHandlers>("PUT", "/manage/owners/{owner}/budget", h => h.SetAsync),
        Map<BudgetAdminHandlers>("DELETE", "/manage/owners/{owner}/budget", h => h.DeleteAsync),
        Map<BudgetAdminHandlers>("GET", "/manage/budgets", h => h.ListAsync),
        Map<BillingAdminHandlers>("GET", "/manage/prices", h => h.ListPricesAsync),
        Map<BillingAdminHandlers>("PUT", "/manage/prices", h => h.SetPriceAsync),
        Map<BillingAdminHandlers>("DELETE", "/manage/prices", h => h.DeletePriceAsync),
        Map<BillingAdminHandlers>("POST", "/manage/billing/aggregate", h => h.AggregateAsync),
        Map<DeploymentAdminHandlers>("GET", "/manage/deployments", h => h.ListAsync),
    ];

    /// <summary>The OpenAI-compatible endpoints, served under <c>/v1</c> and under <c>/api/v1</c>.</summary>
    private static Route[] OpenAi(string prefix) =>
    [
        Map<ChatCompletionsHandler>("POST", prefix + "/chat/completions", h => h.HandleAsync),
        Map<ModelsHandler>("GET", prefix + "/models", h => h.HandleAsync),
        Map<KeyUsageHandler>("GET", prefix + "/usage", h => h.HandleAsync),
    ];

    private static Route Map<THandler>(string method, string pattern, Func<THandler, RequestDelegate> action) where THandler : notnull =>
        new(method, pattern, services => action(services.GetRequiredService<THandler>()));
}
