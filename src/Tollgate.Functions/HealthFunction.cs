using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Tollgate.Hosting;

namespace Tollgate.Functions;

/// <summary><c>GET /healthz</c>: liveness, no key.</summary>
public static class HealthFunction
{
    [Function("Health")]
    public static IActionResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "healthz")] HttpRequest request) =>
        new HandlerResult(HealthHandler.HandleAsync);
}
