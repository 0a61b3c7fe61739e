using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Tollgate.Billing;

namespace Tollgate.Functions;

/// <summary><c>GET /v1/usage</c> and <c>/api/v1/usage</c>: the calling key's own usage this month.</summary>
public sealed class UsageFunction(KeyUsageHandler handler)
{
    [Function("Usage")]
    public IActionResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/usage")] HttpRequest request) =>
        new HandlerResult(handler.HandleAsync);

    [Function("UsageApiV1")]
    public IActionResult RunApiV1([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/usage")] HttpRequest request) =>
        new HandlerResult(handler.HandleAsync);
}
