using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Tollgate.Proxy;

namespace Tollgate.Functions;

/// <summary><c>GET /v1/models</c> and <c>/api/v1/models</c>.</summary>
public sealed class ModelsFunction(ModelsHandler handler)
{
    [Function("Models")]
    public IActionResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v1/models")] HttpRequest request) =>
        new HandlerResult(handler.HandleAsync);

    [Function("ModelsApiV1")]
    public IActionResult RunApiV1([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/models")] HttpRequest request) =>
        new HandlerResult(handler.HandleAsync);
}
