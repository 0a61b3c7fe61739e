using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Tollgate.Routing;

namespace Tollgate.Admin;

/// <summary>
/// <c>GET /manage/deployments</c>: every upstream deployment this instance routes to, with the routes that use it, its
/// priority and weight there, and its health as this instance sees it (state, circuit, the end of a <c>Retry-After</c>
/// or of a balance cool-down). Health is per instance: each instance learns it from its own requests.
/// </summary>
public sealed class DeploymentAdminHandlers(AdminAuthenticator authenticator, ModelRouter router, TimeProvider time)
{
    public Task ListAsync(HttpContext context) => AdminPipeline.RunAsync(context, authenticator, async ct =>
    {
        var now = time.GetUtcNow();
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteStartArray("data"u8);
        foreach (var deployment in router.Deployments)
        {
            var health = deployment.Health;
            writer.WriteStartObject();
            writer.WriteString("name"u8, deployment.Name);
            writer.WriteString("upstream"u8, deployment.Upstream.Name);
            writer.WriteString("model"u8, deployment.UpstreamModel);
            writer.WriteString("state"u8, JsonNamingPolicy.SnakeCaseLower.ConvertName(health.StateAt(now).ToString()));
            writer.WriteString("circuit"u8, health.Circuit.ToString().ToLowerInvariant());
            WriteUntil(writer, "retry_after_until"u8, health.RetryAfterUntil, now);
            WriteUntil(writer, "out_of_balance_until"u8, health.OutOfBalanceUntil, now);
            writer.WriteStartArray("routes"u8);
            foreach (var route in router.Routes)
            {
                foreach (var used in route.Deployments)
                {
                    if (used.Health == health)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("model"u8, route.ClientModel);
                        writer.WriteNumber("priority"u8, used.Priority);
                        writer.WriteNumber("weight"u8, used.Weight);
                        writer.WriteEndObject();
                    }
                }
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync(ct).ConfigureAwait(false);
        return null;
    });

    private static void WriteUntil(Utf8JsonWriter writer, ReadOnlySpan<byte> name, DateTimeOffset until, DateTimeOffset now)
    {
        if (until > now)
        {
            writer.WriteString(name, until);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
