using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Errors;
using Tollgate.Keys;
using Tollgate.Routing;
using Tollgate.Usage;

namespace Tollgate.Admin;

/// <summary>
/// The admin API for client keys, under <c>/manage/keys</c>: keys (create, list, get, update, disable, enable, revoke)
/// and a key's usage records. A key's budget is money in the billing currency (<c>Tollgate:Billing:Currency</c>) and/or
/// tokens per period. Every call needs an admin key; client keys are refused.
/// </summary>
/// <param name="keys">The keys table, where keys are created and changed; null without storage.</param>
/// <param name="cache">This instance's cache of verified keys, forgotten on a change; null without storage.</param>
/// <param name="usage">The usage ledger's reader; null without storage.</param>
public sealed partial class KeyAdminHandlers(
    AdminAuthenticator authenticator, ModelRouter router, IOptions<KeysOptions> options, TableKeyAdministrator? keys, CachingKeyStore? cache,
    UsageReader? usage, TimeProvider time, ILogger<KeyAdminHandlers> logger)
{
    public Task CreateKeyAsync(HttpContext context) => RunAsync(context, async (store, ct) =>
    {
        var (request, error) = await AdminRequest.ReadJsonAsync(context, KeyJsonApiContext.Default.CreateKeyRequest, ct).ConfigureAwait(false);
        if (request is null)
        {
            return error;
        }
        Budget? budget = null;
        if (request.Budget is { ValueKind: not JsonValueKind.Null } budgetJson)
        {
            if (request.MonthlyBudgetUsd is not null)
            {
                return AdminErrors.BothBudgets();
            }
            if (!BudgetParser.TryParse(budgetJson, "budget.", out budget, out error))
            {
                return error;
            }
        }
        else if (request.MonthlyBudgetUsd is { } monthly)
        {
            budget = Budget.Monthly(monthly);
        }
        if (AdminChecks.FirstUnservedModel(router, request.Models) is { } unserved)
        {
            return AdminErrors.UnservedModel(unserved, "models");
        }
        var created = await store.CreateAsync(new NewKey(request.Name ?? "", request.Owner ?? "", request.Models,
            request.RequestsPerMinute, request.TokensPerMinute, budget, request.ExpiresAt), ct).ConfigureAwait(false);
        LogKeyChanged(logger, AdminId(context), "created", created.Key.Id, Diagnostics.LogValue.Safe(created.Key.Owner));
        await WriteAsync(context, 201, new CreatedKeyResponse(KeyResponse.From(created.Key), created.Text,
            "Store the secret now: Tollgate keeps only its hash and cannot show it again."), KeyJsonApiContext.Default.CreatedKeyResponse).ConfigureAwait(false);
        return null;
    });

    public Task ListKeysAsync(HttpContext context) => RunAsync(context, async (store, ct) =>
    {
        var query = context.Request.Query;
        var (keys, token) = await store.ListAsync(query["owner"].FirstOrDefault(), AdminRequest.PageSize(context), query["continuation_token"].FirstOrDefault(), ct).ConfigureAwait(false);
        await WriteAsync(context, 200, new KeyListResponse(keys.Select(KeyResponse.From).ToList(), token), KeyJsonApiContext.Default.KeyListResponse).ConfigureAwait(false);
        return null;
    });

    public Task GetKeyAsync(HttpContext context) => RunAsync(context, async (store, ct) =>
    {
        var id = AdminRequest.RouteId(context);
        var key = await store.GetAsync(id, ct).ConfigureAwait(false);
        if (key is null)
        {
            return AdminErrors.KeyNotFound(id);
        }
        await WriteAsync(context, 200, KeyResponse.From(key), KeyJsonApiContext.Default.KeyResponse).ConfigureAwait(false);
        return null;
    });

    public Task UpdateKeyAsync(HttpContext context) => RunAsync(context, async (store, ct) =>
    {
        var (body, error) = await AdminRequest.ReadJsonAsync(context, KeyJsonApiContext.Default.JsonElement, ct).ConfigureAwait(false);
        if (error is not null || !KeyChangesParser.TryParse(body, out var changes, out error))
        {
            return error;
        }
        if (AdminChecks.FirstUnservedModel(router, changes.Models) is { } unserved)
        {
            return AdminErrors.UnservedModel(unserved, "models");
        }
        var key = await store.UpdateAsync(AdminRequest.RouteId(context), changes, ct).ConfigureAwait(false);
        return await ChangedAsync(context, key, "updated").ConfigureAwait(false);
    });

    public Task DisableKeyAsync(HttpContext context) => SetStateAsync(context, KeyState.Disabled, "disabled");

    public Task EnableKeyAsync(HttpContext context) => SetStateAsync(context, KeyState.Active, "enabled");

    public Task RevokeKeyAsync(HttpContext context) => SetStateAsync(context, KeyState.Revoked, "revoked");

    public Task KeyUsageAsync(HttpContext context) => RunAsync(context, async (store, ct) =>
    {
        // Keys from configuration have usage too, though they are not in the keys table; an unknown key is a 404.
        var id = AdminRequest.RouteId(context);
        if (!await AdminChecks.KeyExistsAsync(options.Value, store, id, ct).ConfigureAwait(false))
        {
            return AdminErrors.KeyNotFound(id);
        }
        var query = context.Request.Query;
        if (!AdminRequest.TryParseTime(query["from"].FirstOrDefault(), out var from))
        {
            return AdminErrors.InvalidTime("from");
        }
        if (!AdminRequest.TryParseTime(query["to"].FirstOrDefault(), out var to))
        {
            return AdminErrors.InvalidTime("to");
        }
        var now = time.GetUtcNow();
        var (start, end) = (from ?? now.AddDays(-1), to ?? now.AddMinutes(1));
        if (end <= start || end - start > UsageReader.MaxRange)
        {
            return AdminErrors.InvalidRange(UsageReader.MaxRange);
        }
        if (usage is null)
        {
            return AdminErrors.StorageNotConfigured;
        }
        var (records, token) = await usage.ReadAsync(id, start, end, AdminRequest.PageSize(context), query["continuation_token"].FirstOrDefault(), ct).ConfigureAwait(false);
        await WriteAsync(context, 200, new UsageListResponse(records.Select(UsageRecordResponse.From).ToList(), token), KeyJsonApiContext.Default.UsageListResponse).ConfigureAwait(false);
        return null;
    });

    private Task SetStateAsync(HttpContext context, KeyState state, string verb) => RunAsync(context, async (store, ct) =>
    {
        var key = await store.SetStateAsync(AdminRequest.RouteId(context), state, ct).ConfigureAwait(false);
        return await ChangedAsync(context, key, verb).ConfigureAwait(false);
    });

    /// <summary>Runs a key administration action through <see cref="AdminPipeline"/>; without storage there are no keys to administer.</summary>
    private Task RunAsync(HttpContext context, Func<TableKeyAdministrator, CancellationToken, Task<ApiError?>> action) =>
        AdminPipeline.RunAsync(context, authenticator, ct => keys is { } store
            ? action(store, ct)
            : Task.FromResult<ApiError?>(AdminErrors.StorageNotConfigured));

    /// <summary>After a change: forgets the key in this instance's cache, logs who changed it, answers with the key.</summary>
    private async Task<ApiError?> ChangedAsync(HttpContext context, ApiKey key, string verb)
    {
        cache?.Invalidate(key.Hash);
        LogKeyChanged(logger, AdminId(context), verb, key.Id, Diagnostics.LogValue.Safe(key.Owner));
        await WriteAsync(context, 200, KeyResponse.From(key), KeyJsonApiContext.Default.KeyResponse).ConfigureAwait(false);
        return null;
    }

    private static string AdminId(HttpContext context) => AdminPipeline.AdminId(context);

    private static Task WriteAsync<T>(HttpContext context, int status, T value, JsonTypeInfo<T> type) => AdminPipeline.WriteAsync(context, status, value, type);

    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "Admin {AdminId} {Action} key {KeyId} (owner {Owner})")]
    private static partial void LogKeyChanged(ILogger logger, string adminId, string action, string keyId, string owner);
}
