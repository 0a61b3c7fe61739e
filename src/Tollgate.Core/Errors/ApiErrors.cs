namespace Tollgate.Errors;

/// <summary>The errors Tollgate itself produces, in one place so that messages and codes stay consistent.</summary>
public static class ApiErrors
{
    private const string InvalidRequest = "invalid_request_error";

    public static ApiError Malformed(string message, string? param = null) =>
        new(400, InvalidRequest, "invalid_request", message, param);

    public static ApiError InvalidValue(string message, string param) =>
        new(422, InvalidRequest, "invalid_parameter", message, param);

    public static readonly ApiError InvalidApiKey =
        new(401, InvalidRequest, "invalid_api_key", "Incorrect or missing API key. Send it as 'Authorization: Bearer <key>'.");

    public static readonly ApiError KeyInQueryString =
        new(401, InvalidRequest, "invalid_api_key", "API keys are not accepted in the query string. Send it as 'Authorization: Bearer <key>'.");

    public static ApiError ModelNotFound(string model) =>
        new(404, InvalidRequest, "model_not_found", $"The model '{Truncate(model, 128)}' does not exist.", "model");

    public static ApiError ModelNotAllowed(string model) =>
        new(403, "permission_error", "model_not_allowed", $"This key may not use the model '{Truncate(model, 128)}'.", "model");

    public static ApiError ModelNotPriced(string model) =>
        new(403, "permission_error", "model_not_priced", $"The model '{Truncate(model, 128)}' has no price, so this gateway does not serve it.", "model");

    public static readonly ApiError PricingUnavailable =
        new(503, "server_error", "pricing_unavailable", "The gateway cannot read its prices right now. Try again shortly.") { RetryAfterSeconds = 5 };

    public static ApiError BodyTooLarge(long cap) =>
        new(413, InvalidRequest, "request_too_large", $"The request body is larger than the {cap} bytes this gateway accepts.");

    public static readonly ApiError BodyReadTimeout =
        new(408, InvalidRequest, "request_timeout", "The request body was not received in time.");

    /// <summary>The body's HTTP framing is broken (bad chunked encoding, or it ended before its Content-Length).</summary>
    public static readonly ApiError BodyMalformed =
        Malformed("The request body is not well formed HTTP: its chunked encoding is invalid or it ended before its Content-Length.");

    public static readonly ApiError UnsupportedContentType =
        new(400, InvalidRequest, "invalid_content_type", "The request body must be JSON (Content-Type: application/json).");

    public static readonly ApiError NotFound =
        new(404, InvalidRequest, "not_found", "There is no such endpoint.");

    public static ApiError MethodNotAllowed(string method, string allow) =>
        new(405, InvalidRequest, "method_not_allowed", $"This endpoint does not accept {Truncate(method, 16)}; it accepts {allow}.");

    public static ApiError UpstreamUnavailable(string message = "The upstream provider is unavailable. Try again later.") =>
        new(503, "server_error", "upstream_unavailable", message);

    public static ApiError BadGateway(string message, string code = "upstream_error") =>
        new(502, "server_error", code, message);

    public static readonly ApiError GatewayTimeout =
        new(504, "server_error", "upstream_timeout", "The upstream provider did not answer in time.");

    public static readonly ApiError MeteringBacklogged =
        new(503, "server_error", "metering_unavailable", "The gateway cannot record usage right now, so it is not serving requests. Try again shortly.") { RetryAfterSeconds = 5 };

    public static readonly ApiError KeyVerificationUnavailable =
        new(503, "server_error", "key_store_unavailable", "The gateway cannot verify keys right now. Try again shortly.") { RetryAfterSeconds = 5 };

    public static readonly ApiError Internal =
        new(500, "server_error", "internal_error", "The gateway failed to handle the request.");

    public static ApiError RateLimited(string message, int? retryAfterSeconds) =>
        new(429, "rate_limit_error", "rate_limit_exceeded", message) { RetryAfterSeconds = retryAfterSeconds };

    /// <summary>A hard budget is used up: OpenAI's 402 with type and code <c>insufficient_quota</c>; the message says which budget and when it resets.</summary>
    public static ApiError InsufficientQuota(string message) =>
        new(402, "insufficient_quota", "insufficient_quota", message);

    public static readonly ApiError QuotaUnavailable =
        new(503, "server_error", "quota_unavailable", "The gateway cannot check this key's budget right now. Try again shortly.") { RetryAfterSeconds = 5 };

    /// <summary>The shared rate-limit accounts cannot be reached and <c>RateLimitsWithoutStorage</c> is <c>Refuse</c>.</summary>
    public static readonly ApiError RateLimitsUnavailable =
        new(503, "server_error", "rate_limits_unavailable", "The gateway cannot check this key's rate limits right now. Try again shortly.") { RetryAfterSeconds = 5 };

    internal static string Truncate(string value, int max) => value.Length <= max ? value : string.Concat(value.AsSpan(0, max), "…");
}
