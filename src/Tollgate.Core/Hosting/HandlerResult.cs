using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Tollgate.Hosting;

/// <summary>
/// Lets a host that expects an <see cref="IActionResult"/> (Azure Functions' ASP.NET Core integration) run
/// a Tollgate handler that writes the response itself, streaming included.
/// </summary>
public sealed class HandlerResult(Func<HttpContext, Task> handler) : IActionResult
{
    public Task ExecuteResultAsync(ActionContext context) => handler(context.HttpContext);
}
