using Microsoft.AspNetCore.Http;

namespace Tollgate.Hosting;

/// <summary><c>GET /healthz</c>: liveness, no authentication, no dependencies touched.</summary>
public static class HealthHandler
{
    public static Task HandleAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.Body.WriteAsync("{\"status\":\"ok\"}"u8.ToArray()).AsTask();
    }
}
