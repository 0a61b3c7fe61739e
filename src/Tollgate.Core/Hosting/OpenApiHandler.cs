using Microsoft.AspNetCore.Http;

namespace Tollgate.Hosting;

/// <summary>
/// <c>GET /openapi/v1.json</c>: the OpenAPI 3.1 document of every route Tollgate serves (<c>openapi.json</c>, embedded in
/// the assembly; a test holds it to <see cref="TollgateRoutes.All"/> and parses it with Microsoft.OpenApi). No key:
/// it describes the API, it holds nothing of anyone's.
/// </summary>
public static class OpenApiHandler
{
    public const string Route = "/openapi/v1.json";

    private static readonly Lazy<byte[]> Document = new(Load);

    /// <summary>The document's bytes, as embedded.</summary>
    public static ReadOnlyMemory<byte> Bytes => Document.Value;

    public static Task HandleAsync(HttpContext context)
    {
        var body = Document.Value;
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length;
        context.Response.Headers.CacheControl = "public, max-age=300";
        return context.Response.Body.WriteAsync(body).AsTask();
    }

    private static byte[] Load()
    {
        using var stream = typeof(OpenApiHandler).Assembly.GetManifestResourceStream("Tollgate.Hosting.openapi.json")
            ?? throw new InvalidOperationException("The OpenAPI document is not embedded in Tollgate.Core.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
