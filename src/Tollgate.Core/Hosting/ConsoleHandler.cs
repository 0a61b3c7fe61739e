using System.Collections.Frozen;
using Microsoft.AspNetCore.Http;
using Tollgate.Errors;

namespace Tollgate.Hosting;

/// <summary>
/// <c>GET /console/{*path}</c>: the admin console, static files embedded in the assembly (Console/wwwroot and Chart.js).
/// The page calls the <c>/manage</c> API with the admin key the user types, kept in the page's memory only; it adds no
/// server logic. Every answer carries a Content-Security-Policy without inline scripts or third-party origins, frame
/// denial and <c>nosniff</c>.
/// </summary>
public static class ConsoleHandler
{
    public const string Route = "/console/{*path}";

    /// <summary>Only this origin, no inline script or style, no framing, no plugins, forms and links back to itself.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
        "font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    private static readonly FrozenDictionary<string, (byte[] Body, string ContentType)> Files = Load();

    public static Task HandleAsync(HttpContext context)
    {
        var response = context.Response;
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";
        var path = context.Request.RouteValues["path"] as string;
        if (string.IsNullOrEmpty(path))
        {
            path = "index.html";
        }
        if (!Files.TryGetValue(path, out var file))
        {
            return ApiErrorWriter.WriteAsync(response, ApiErrors.NotFound);
        }
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = file.ContentType;
        response.ContentLength = file.Body.Length;
        return response.Body.WriteAsync(file.Body).AsTask();
    }

    /// <summary>The console's files by path under <c>/console/</c>.</summary>
    public static IReadOnlyCollection<string> Paths => Files.Keys;

    private static FrozenDictionary<string, (byte[], string)> Load()
    {
        var assembly = typeof(ConsoleHandler).Assembly;
        var files = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("console/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var path = name["console/".Length..].Replace('\\', '/');
            files[path] = (copy.ToArray(), ContentTypeOf(path));
        }
        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string ContentTypeOf(string path) => Path.GetExtension(path) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        _ => "application/octet-stream",
    };
}
