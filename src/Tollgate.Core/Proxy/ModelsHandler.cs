using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Tollgate.Errors;
using Tollgate.Keys;
using Tollgate.Routing;

namespace Tollgate.Proxy;

/// <summary><c>GET /v1/models</c>: the models the caller's key may use, in OpenAI's list shape.</summary>
public sealed class ModelsHandler(ApiKeyAuthenticator authenticator, ModelRouter router)
{
    /// <summary>A fixed creation time: the list describes configuration, not model releases.</summary>
    private const long Created = 1_700_000_000;

    public async Task HandleAsync(HttpContext context)
    {
        var auth = await authenticator.AuthenticateAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        if (auth.Key is null)
        {
            await ApiErrorWriter.WriteAsync(context.Response, auth.Error!).ConfigureAwait(false);
            return;
        }

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        await using (var writer = new Utf8JsonWriter(response.BodyWriter))
        {
            writer.WriteStartObject();
            writer.WriteString("object"u8, "list"u8);
            writer.WriteStartArray("data"u8);
            foreach (var route in router.Routes)
            {
                if (!auth.Key.Allows(route.ClientModel))
                {
                    continue;
                }
                writer.WriteStartObject();
                writer.WriteString("id"u8, route.ClientModel);
                writer.WriteString("object"u8, "model"u8);
                writer.WriteNumber("created"u8, Created);
                writer.WriteString("owned_by"u8, route.Primary.Upstream.Name);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
