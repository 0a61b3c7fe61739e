using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Tollgate.Hosting;

namespace Tollgate.Functions;

/// <summary><c>GET /openapi/v1.json</c>: the OpenAPI document of every route, no key.</summary>
public static class OpenApiFunction
{
    [Function("OpenApi")]
    public static IActionResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi/v1.json")] HttpRequest request) =>
        new HandlerResult(OpenApiHandler.HandleAsync);
}
