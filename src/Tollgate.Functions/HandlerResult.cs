using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Tollgate.Diagnostics;

namespace Tollgate.Functions;

/// <summary>
/// Lets a host that expects an <see cref="IActionResult"/> (Azure Functions' ASP.NET Core integration) run
/// a Tollgate handler that writes the response itself, streaming included.
/// </summary>
/// <remarks>
/// Handlers read route parameters from <see cref="HttpRequest.RouteValues"/> (<c>/manage/keys/{id}</c>), as the
/// standalone host's routing fills them in. A function passes the values its trigger bound (<c>string id</c>), and
/// they are set on the request before the handler runs, so the handler sees the same values in both hosts whether
/// or not the Functions worker routed the request itself. The response gets its <c>x-request-id</c>
/// (<see cref="RequestIdHeader"/>) before the handler runs, as in the standalone host.
/// </remarks>
public sealed class HandlerResult : IActionResult
{
    private readonly Func<HttpContext, Task> _handler;
    private readonly (string Name, string? Value)[] _routeValues;

    /// <param name="handler">The Core handler, e.g. <c>handler.GetKeyAsync</c>.</param>
    /// <param name="routeValues">The route's parameters by name, e.g. <c>("id", id)</c>; they replace values of the same name.</param>
    public HandlerResult(Func<HttpContext, Task> handler, params (string Name, string? Value)[] routeValues)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(routeValues);
        _handler = handler;
        _routeValues = routeValues;
    }

    /// <summary>The Core handler it runs (the route parity tests compare it with the standalone host's).</summary>
    internal Func<HttpContext, Task> Handler => _handler;

    /// <summary>The route values it sets on the request before the handler runs.</summary>
    internal IReadOnlyList<(string Name, string? Value)> RouteValues => _routeValues;

    public Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_routeValues.Length > 0)
        {
            var values = context.HttpContext.Request.RouteValues;
            foreach (var (name, value) in _routeValues)
            {
                values[name] = value;
            }
        }
        RequestIdHeader.Ensure(context.HttpContext.Response);
        return _handler(context.HttpContext);
    }
}
