using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Tollgate.Errors;
using Tollgate.Keys;
using Tollgate.Storage;

namespace Tollgate.Admin;

/// <summary>
/// What every admin call goes through: no caching, an admin key, then the action, which writes its answer or
/// returns the error to answer with. Domain errors and storage outages thrown by the action become errors here.
/// </summary>
internal static class AdminPipeline
{
    private const string AdminIdItem = "tollgate.admin";

    public static async Task RunAsync(HttpContext context, AdminAuthenticator authenticator, Func<CancellationToken, Task<ApiError?>> action)
    {
        context.Response.Headers.CacheControl = "no-store";
        var admin = authenticator.Authenticate(context.Request);
        if (admin is null)
        {
            await ApiErrorWriter.WriteAsync(context.Response, AdminErrors.Unauthorized).ConfigureAwait(false);
            return;
        }
        context.Items[AdminIdItem] = admin;
        ApiError? error;
        try
        {
            error = await action(context.RequestAborted).ConfigureAwait(false);
        }
        catch (KeyAdministrationException e)
        {
            error = AdminErrors.From(e);
        }
        catch (Exception e) when (TableStorage.IsOutage(e))
        {
            error = AdminErrors.StorageUnavailable;
        }
        catch (ArgumentException)
        {
            error = AdminErrors.InvalidQuery;
        }
        if (error is not null)
        {
            await ApiErrorWriter.WriteAsync(context.Response, error).ConfigureAwait(false);
        }
    }

    /// <summary>The id of the admin key that made the call, for the audit log.</summary>
    public static string AdminId(HttpContext context) => context.Items[AdminIdItem] as string ?? "";

    public static async Task WriteAsync<T>(HttpContext context, int status, T value, JsonTypeInfo<T> type)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, type, context.RequestAborted).ConfigureAwait(false);
    }
}
