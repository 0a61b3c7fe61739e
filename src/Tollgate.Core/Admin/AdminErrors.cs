using Tollgate.Errors;
using Tollgate.Keys;

namespace Tollgate.Admin;

/// <summary>
/// The admin API's errors: key administration's domain errors mapped to a status and code (in <see cref="From"/>,
/// the one place that does it), and the errors the HTTP layer finds itself in a request.
/// </summary>
internal static class AdminErrors
{
    private const string InvalidRequestError = "invalid_request_error";

    public static readonly ApiError Unauthorized =
        new(401, InvalidRequestError, "invalid_admin_key", "This endpoint needs an admin key (Authorization: Bearer <admin key>).");

    public static readonly ApiError StorageNotConfigured =
        new(503, "server_error", "storage_not_configured", "Keys, prices, rollups and owner budgets in storage need Tollgate:Storage to be configured.");

    /// <summary>Storage did not answer (an outage): the same 503 as when keys cannot be verified.</summary>
    public static readonly ApiError StorageUnavailable = ApiErrors.KeyVerificationUnavailable;

    public static readonly ApiError InvalidQuery = ApiErrors.Malformed("A query parameter is not valid (continuation_token?).");

    public static ApiError From(KeyAdministrationException e) => e.Error switch
    {
        KeyAdministrationError.NotFound => Invalid(404, "key_not_found", e.Message),
        KeyAdministrationError.Revoked => Invalid(409, "key_revoked", e.Message),
        KeyAdministrationError.TooManyActiveKeys => Invalid(409, "too_many_active_keys", e.Message),
        KeyAdministrationError.InvalidName => Invalid(400, "invalid_name", e.Message),
        KeyAdministrationError.InvalidOwner => Invalid(400, "invalid_owner", e.Message),
        KeyAdministrationError.InvalidExpiry => Invalid(400, "invalid_expiry", e.Message) with { Param = "expires_at" },
        KeyAdministrationError.InvalidLimit => Invalid(422, "invalid_limit", e.Message),
        _ => ApiErrors.Internal,
    };

    public static ApiError KeyNotFound(string id) => From(KeyAdministrationException.NotFound(id));

    /// <summary>The body is not JSON, or not of the expected shape.</summary>
    public static ApiError InvalidBody(string message) => Invalid(400, "invalid_request", message);

    public static ApiError WrongType(string field) => InvalidBody($"'{ApiErrors.Truncate(field, 64)}' has the wrong type.");

    public static ApiError UnknownField(string field) => Invalid(400, "unknown_field", $"'{ApiErrors.Truncate(field, 64)}' cannot be changed.");

    public static ApiError InvalidTime(string parameter) =>
        Invalid(400, "invalid_time", $"'{parameter}' must be an ISO 8601 time from {AdminRequest.Earliest:yyyy-MM-dd} to {AdminRequest.Latest.AddDays(-1):yyyy-MM-dd}.") with { Param = parameter };

    /// <summary>A body that is not declared as JSON: the same code as the chat endpoint's, with the status for it.</summary>
    public static readonly ApiError UnsupportedContentType = ApiErrors.UnsupportedContentType with { Status = 415 };

    /// <summary>A model no route serves, in <paramref name="param"/> (<c>models</c>, <c>model</c>).</summary>
    public static ApiError UnservedModel(string model, string param) =>
        Invalid(400, "model_not_served", $"'{ApiErrors.Truncate(model, 64)}' in '{param}' is not a model this gateway serves (Tollgate:Upstreams:*:Models, Tollgate:Routes and their aliases).") with { Param = param };

    public static ApiError InvalidRange(TimeSpan maxRange) =>
        Invalid(422, "invalid_range", $"'to' must be after 'from' and at most {maxRange.TotalDays} days later.");

    public static ApiError InvalidPeriod() => Invalid(400, "invalid_period", "'period' must be hour, day or month.");

    public static ApiError InvalidMonth() =>
        Invalid(400, "invalid_month", $"'month' must be a calendar month as yyyy-MM from {AdminRequest.Earliest:yyyy-MM} to {AdminRequest.Latest.AddDays(-1):yyyy-MM}, e.g. 2026-11.") with { Param = "month" };

    public static ApiError InvalidPrice(string problem) => Invalid(422, "invalid_price", problem);

    public static ApiError PriceInPast() =>
        Invalid(422, "price_in_past", "A price cannot start in the past: periods keep the prices they were used at. Give an effective_from from now on.");

    public static ApiError PriceNotFound() => Invalid(404, "price_not_found", "No stored price has this model, upstream and effective_from.");

    public static ApiError PriceInEffect() =>
        Invalid(409, "price_in_effect", "This price has been in effect, so requests were billed at it; set a new price instead of removing it.");

    /// <summary>A budget's period or mode is not one of its names; <paramref name="field"/> is its path, e.g. <c>budget.period</c>.</summary>
    public static ApiError InvalidBudgetName(string field, string allowed) =>
        Invalid(400, "invalid_budget", $"'{field}' must be {allowed}.") with { Param = field };

    public static ApiError UnknownBudgetField(string field) =>
        Invalid(400, "unknown_field", $"'{ApiErrors.Truncate(field, 64)}' is not a budget field (amount, tokens, period, mode).");

    public static ApiError BothBudgets() =>
        Invalid(400, "conflicting_fields", "Send 'budget' or the legacy 'monthly_budget_usd', not both.");

    public static ApiError OwnerBudgetNotFound(bool inConfiguration) => inConfiguration
        ? Invalid(404, "budget_not_found", "This owner has no stored budget; its budget comes from configuration (Tollgate:Quota:OwnerBudgets), which the admin API cannot remove.")
        : Invalid(404, "budget_not_found", "This owner has no budget.");

    private static ApiError Invalid(int status, string code, string message) => new(status, InvalidRequestError, code, message);
}
