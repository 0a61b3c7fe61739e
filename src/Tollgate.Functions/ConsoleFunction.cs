using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Tollgate.Hosting;

namespace Tollgate.Functions;

/// <summary><c>GET /console/{*path}</c>: the admin console's static files (the page itself calls the admin functions).</summary>
public static class ConsoleFunction
{
    [Function("Console")]
    public static IActionResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console/{*path}")] HttpRequest request, string? path) =>
        new HandlerResult(ConsoleHandler.HandleAsync, ("path", path));
}
