using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Tollgate.Errors;

namespace Tollgate.Admin;

/// <summary>What the admin API reads from a request: the route id, paging, times and JSON bodies.</summary>
internal static class AdminRequest
{
    private const int DefaultPageSize = 100;

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

    public static async Task<(T? Value, ApiError? Error)> ReadJsonAsync<T>(HttpContext context, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        try
        {
            var value = await JsonSerializer.DeserializeAsync(context.Request.Body, type, cancellationToken).ConfigureAwait(false);
            return value is null ? (default, AdminErrors.InvalidBody("The body must be a JSON object.")) : (value, null);
        }
        catch (JsonException)
        {
            return (default, AdminErrors.InvalidBody("The body is not valid JSON of the expected shape."));
        }
    }
}
