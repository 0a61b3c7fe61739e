using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tollgate.Errors;
using Tollgate.Keys;
using Tollgate.Proxy;
using Tollgate.Storage;
using Tollgate.Usage;

namespace Tollgate.Admin;

/// <summary>
/// The admin API under <c>/admin</c>: keys (create, list, get, update, disable, enable, revoke) and a key's
/// usage records. Every call needs an admin key; client keys are refused.
/// </summary>
public sealed partial class AdminHandlers(AdminAuthenticator authenticator, IServiceProvider services, TimeProvider time, ILogger<AdminHandlers> logger)
{
    private const int DefaultPageSize = 100;

    private static readonly ApiError Unauthorized = new(401, "invalid_request_error", "invalid_admin_key", "This endpoint needs an admin key (Authorization: Bearer <admin key>).");
    private static readonly ApiError StorageMissing = new(503, "server_error", "storage_not_configured", "Key management needs Tollgate:Storage to be configured.");

    public Task CreateKeyAsync(HttpContext context) => RunAsync(context, async (store, ct) =>
    {
        var request = await ReadJsonAsync(context, AdminJsonContext.Default.CreateKeyRequest, ct).ConfigureAwait(false);
        var created = await store.CreateAsync(new NewKey(request.Name ?? "", request.Owner ?? "", request.Models,
            request.RequestsPerMinute, request.TokensPerMinute, request.MonthlyBudgetUsd, request.ExpiresAt), ct).ConfigureAwait(false);
        LogKeyChanged(logger, AdminId(context), "created", created.Key.Id, Diagnostics.LogValue.Safe(created.Key.Owner));
        await WriteAsync(context, 201, new CreatedKeyResponse(KeyResponse.From(created.Key), created.Text,
            "Store the secret now: Tollgate keeps only its hash and cannot show it again."), AdminJsonContext.Default.CreatedKeyResponse).ConfigureAwait(false);
    });

    public Task ListKeysAsync(HttpContext context) => RunAsync(context, async (store, ct) =>
    {
        var query = context.Request.Query;
        var (keys, token) = await store.ListAsync(query["owner"].FirstOrDefault(), PageSize(context), query["continuation_token"].FirstOrDefault(), ct).ConfigureAwait(false);
        await WriteAsync(context, 200, new KeyListResponse(keys.Select(KeyResponse.From).ToList(), token), AdminJsonContext.Default.KeyListResponse).ConfigureAwait(false);
    });

    public Task GetKeyAsync(HttpContext context) => RunAsync(context, async (store, ct) =>
    {
        var key = await store.GetAsync(RouteId(context), ct).ConfigureAwait(false) ?? throw NotFound(RouteId(context));
        await WriteAsync(context, 200, KeyResponse.From(key), AdminJsonContext.Default.KeyResponse).ConfigureAwait(false);
    });

    public Task UpdateKeyAsync(HttpContext context) => RunAsync(context, async (store, ct) =>
    {
        var body = await ReadJsonAsync(context, AdminJsonContext.Default.JsonElement, ct).ConfigureAwait(false);
        var changes = ParseChanges(body);
        var key = await store.UpdateAsync(RouteId(context), changes, ct).ConfigureAwait(false);
        Forget(key);
        LogKeyChanged(logger, AdminId(context), "updated", key.Id, Diagnostics.LogValue.Safe(key.Owner));
        await WriteAsync(context, 200, KeyResponse.From(key), AdminJsonContext.Default.KeyResponse).ConfigureAwait(false);
    });

    public Task DisableKeyAsync(HttpContext context) => SetStateAsync(context, KeyState.Disabled, "disabled");

    public Task EnableKeyAsync(HttpContext context) => SetStateAsync(context, KeyState.Active, "enabled");

    public Task RevokeKeyAsync(HttpContext context) => SetStateAsync(context, KeyState.Revoked, "revoked");

    public Task KeyUsageAsync(HttpContext context) => RunAsync(context, async (store, ct) =>
    {
        // Any key id: keys from configuration have usage too, though they are not in the keys table.
        var id = RouteId(context);
        if (!KeyValidation.IsValidId(id))
        {
            throw NotFound(id);
        }
        var query = context.Request.Query;
        var now = time.GetUtcNow();
        var from = ParseTime(query["from"].FirstOrDefault(), "from") ?? now.AddDays(-1);
        var to = ParseTime(query["to"].FirstOrDefault(), "to") ?? now.AddMinutes(1);
        if (to <= from || to - from > UsageReader.MaxRange)
        {
            throw new KeyAdministrationException(422, "invalid_range", $"'to' must be after 'from' and at most {UsageReader.MaxRange.TotalDays} days later.");
        }
        var reader = services.GetRequiredService<UsageReader>();
        var (records, token) = await reader.ReadAsync(id, from, to, PageSize(context), query["continuation_token"].FirstOrDefault(), ct).ConfigureAwait(false);
        await WriteAsync(context, 200, new UsageListResponse(records.Select(UsageRecordResponse.From).ToList(), token), AdminJsonContext.Default.UsageListResponse).ConfigureAwait(false);
    });

    private Task SetStateAsync(HttpContext context, KeyState state, string verb) => RunAsync(context, async (store, ct) =>
    {
        var key = await store.SetStateAsync(RouteId(context), state, ct).ConfigureAwait(false);
        Forget(key);
        LogKeyChanged(logger, AdminId(context), verb, key.Id, Diagnostics.LogValue.Safe(key.Owner));
        await WriteAsync(context, 200, KeyResponse.From(key), AdminJsonContext.Default.KeyResponse).ConfigureAwait(false);
    });

    private async Task RunAsync(HttpContext context, Func<TableKeyAdministrator, CancellationToken, Task> action)
    {
        context.Response.Headers.CacheControl = "no-store";
        var admin = authenticator.Authenticate(context.Request);
        if (admin is null)
        {
            await ApiErrorWriter.WriteAsync(context.Response, Unauthorized).ConfigureAwait(false);
            return;
        }
        context.Items[AdminIdItem] = admin;
        var store = services.GetService<TableKeyAdministrator>();
        if (store is null)
        {
            await ApiErrorWriter.WriteAsync(context.Response, StorageMissing).ConfigureAwait(false);
            return;
        }
        try
        {
            await action(store, context.RequestAborted).ConfigureAwait(false);
        }
        catch (KeyAdministrationException e)
        {
            await ApiErrorWriter.WriteAsync(context.Response, new ApiError(e.Status, "invalid_request_error", e.Code, e.Message)).ConfigureAwait(false);
        }
        catch (Exception e) when (TableStorage.IsOutage(e))
        {
            await ApiErrorWriter.WriteAsync(context.Response, ApiErrors.KeyVerificationUnavailable).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            await ApiErrorWriter.WriteAsync(context.Response, ApiErrors.Malformed("A query parameter is not valid (continuation_token?).")).ConfigureAwait(false);
        }
    }

    private const string AdminIdItem = "tollgate.admin";

    private static string AdminId(HttpContext context) => context.Items[AdminIdItem] as string ?? "";

    private void Forget(ApiKey key) => services.GetService<CachingKeyStore>()?.Invalidate(key.Hash);

    private static string RouteId(HttpContext context) => context.Request.RouteValues["id"] as string ?? "";

    private static KeyAdministrationException NotFound(string id) => new(404, "key_not_found", $"No key has the id '{ApiErrors.Truncate(id, 64)}'.");

    private static int PageSize(HttpContext context) =>
        int.TryParse(context.Request.Query["page_size"].FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? Math.Clamp(size, 1, 1000) : DefaultPageSize;

    private static DateTimeOffset? ParseTime(string? value, string name)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            ? parsed
            : throw new KeyAdministrationException(400, "invalid_time", $"'{name}' must be an ISO 8601 time.");
    }

    private static async Task<T> ReadJsonAsync<T>(HttpContext context, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        try
        {
            return await JsonSerializer.DeserializeAsync(context.Request.Body, type, cancellationToken).ConfigureAwait(false)
                ?? throw new KeyAdministrationException(400, "invalid_request", "The body must be a JSON object.");
        }
        catch (JsonException)
        {
            throw new KeyAdministrationException(400, "invalid_request", "The body is not valid JSON of the expected shape.");
        }
    }

    private static KeyChanges ParseChanges(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new KeyAdministrationException(400, "invalid_request", "The body must be a JSON object.");
        }
        var changes = new KeyChanges();
        foreach (var property in body.EnumerateObject())
        {
            var value = property.Value;
            var isNull = value.ValueKind == JsonValueKind.Null;
            try
            {
                changes = property.Name switch
                {
                    "name" => changes with { Name = value.GetString() },
                    "models" => isNull ? changes with { ClearModels = true } : changes with { Models = value.EnumerateArray().Select(m => m.GetString() ?? "").ToArray() },
                    "requests_per_minute" => isNull ? changes with { ClearRequestsPerMinute = true } : changes with { RequestsPerMinute = value.GetInt64() },
                    "tokens_per_minute" => isNull ? changes with { ClearTokensPerMinute = true } : changes with { TokensPerMinute = value.GetInt64() },
                    "monthly_budget_usd" => isNull ? changes with { ClearMonthlyBudget = true } : changes with { MonthlyBudgetUsd = value.GetDecimal() },
                    "expires_at" => isNull ? changes with { ClearExpiry = true } : changes with { ExpiresAt = value.GetDateTimeOffset() },
                    _ => throw new KeyAdministrationException(400, "unknown_field", $"'{ApiErrors.Truncate(property.Name, 64)}' cannot be changed."),
                };
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                throw new KeyAdministrationException(400, "invalid_request", $"'{property.Name}' has the wrong type.");
            }
        }
        return changes;
    }

    private static async Task WriteAsync<T>(HttpContext context, int status, T value, JsonTypeInfo<T> type)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, type, context.RequestAborted).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "Admin {AdminId} {Action} key {KeyId} (owner {Owner})")]
    private static partial void LogKeyChanged(ILogger logger, string adminId, string action, string keyId, string owner);
}
