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

    /// <summary>
    /// The times the admin API takes (from, to, at, effective_from, months): from <see cref="Earliest"/> up to, not
    /// including, <see cref="Latest"/>. Periods and ranges computed from them then stay within what a date can be.
    /// </summary>
    public static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero), Latest = new(9999, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Largest admin request body: a key, a budget or a price is a few hundred bytes.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    /// <summary>Time allowed to receive an admin request's body.</summary>
    private static readonly TimeSpan BodyTimeout = TimeSpan.FromSeconds(30);

    public static string RouteId(HttpContext context) => context.Request.RouteValues["id"] as string ?? "";

    /// <summary>The owner named in the route, as a key's owner may be (otherwise a 400 through the pipeline).</summary>
    public static string RouteOwner(HttpContext context)
    {
        var owner = context.Request.RouteValues["owner"] as string ?? "";
        Keys.KeyValidation.ValidateOwner(owner);
        return owner;
    }

    public static int PageSize(HttpContext context) =>
        int.TryParse(context.Request.Query["page_size"].FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? Math.Clamp(size, 1, 1000) : DefaultPageSize;

    /// <summary>An optional ISO 8601 time: absent is fine (null), present must parse and be from <see cref="Earliest"/> to <see cref="Latest"/>.</summary>
    public static bool TryParseTime(string? value, out DateTimeOffset? parsed)
    {
        parsed = null;
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }
        if (!DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) ||
            time < Earliest || time >= Latest)
        {
            return false;
        }
        parsed = time;
        return true;
    }

    /// <summary>An optional calendar month as <c>yyyy-MM</c>: absent is fine (null), present must parse and be from <see cref="Earliest"/> to <see cref="Latest"/>.</summary>
    public static bool TryParseMonth(string? value, out DateTimeOffset? start)
    {
        start = null;
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }
        if (!DateTime.TryParseExact(value, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var month) ||
            month < Earliest.UtcDateTime || month >= Latest.UtcDateTime)
        {
            return false;
        }
        start = new DateTimeOffset(month, TimeSpan.Zero);
        return true;
    }

    /// <summary>
    /// The body as <typeparamref name="T"/>. A body declared as something else than JSON is refused (415), one without a
    /// Content-Type is read as JSON. It is read (at most <see cref="MaxBodyBytes"/>, within <see cref="BodyTimeout"/>) as
    /// a chat request's is: what the client's bytes cause while it is read is answered with 413, 408 or 400, and the rest
    /// of a body over the cap is drained by the server after the answer.
    /// </summary>
    public static async Task<(T? Value, ApiError? Error)> ReadJsonAsync<T>(HttpContext context, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        if (!RequestBodyReader.IsJsonContentType(context.Request.ContentType))
        {
            return (default, AdminErrors.UnsupportedContentType);
        }
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
