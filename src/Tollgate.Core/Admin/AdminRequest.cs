using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Tollgate.Errors;
using Tollgate.Json;
using Tollgate.Proxy;

namespace Tollgate.Admin;

/// <summary>What the admin API reads from a request: the route id, paging, times and JSON bodies.</summary>
internal static class AdminRequest
{
    private const int DefaultPageSize = 100;

    /// <summary>Largest admin request body: a key, a budget or a price is a few hundred bytes.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    /// <summary>Time allowed to receive an admin request's body.</summary>
    private static readonly TimeSpan BodyTimeout = TimeSpan.FromSeconds(30);

    public static string RouteId(HttpContext context) => context.Request.RouteValues["id"] as string ?? "";

    public static int PageSize(HttpContext context) =>
        int.TryParse(context.Request.Query["page_size"].FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? Math.Clamp(size, 1, 1000) : DefaultPageSize;

    /// <summary>An optional ISO 8601 time: absent is fine (null), present must parse.</summary>
    public static bool TryParseTime(string? value, out DateTimeOffset? parsed)
    {
        parsed = null;
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }
        if (!DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            return false;
        }
        parsed = time;
        return true;
    }

    /// <summary>
    /// Reads the body (at most <see cref="MaxBodyBytes"/>, within <see cref="BodyTimeout"/>) and parses it. What the
    /// client's bytes cause while it is read is answered like a chat request's (413, 408, 400); the rest of a body over
    /// the cap is drained by the server after the answer, whose limit Tollgate keeps above it.
    /// </summary>
    public static async Task<(T? Value, ApiError? Error)> ReadJsonAsync<T>(HttpContext context, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var body = new PooledBufferWriter();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var readError = await RequestBodyReader.ReadAsync(context.Request, body, MaxBodyBytes, deadline, BodyTimeout, cancellationToken).ConfigureAwait(false);
        if (readError is not null)
        {
            return (default, readError);
        }
        try
        {
            var value = JsonSerializer.Deserialize(body.WrittenSpan, type);
            return value is null ? (default, AdminErrors.InvalidBody("The body must be a JSON object.")) : (value, null);
        }
        catch (JsonException)
        {
            return (default, AdminErrors.InvalidBody("The body is not valid JSON of the expected shape."));
        }
    }
}
