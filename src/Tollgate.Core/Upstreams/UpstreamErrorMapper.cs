using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tollgate.Errors;

namespace Tollgate.Upstreams;

/// <summary>
/// Turns an upstream failure into the error Tollgate answers. Client-caused errors (400, 413, 422) keep
/// the provider's explanation, scrubbed of URLs and secrets; everything else gets Tollgate's own words,
/// so provider balances, hosts and internals never reach the caller.
/// </summary>
public static partial class UpstreamErrorMapper
{
    private const int MaxMessageLength = 512;

    public static ApiError Map(int status, ReadOnlySpan<byte> body, RetryConditionHeaderValue? retryAfter, Upstream upstream, DateTimeOffset now)
    {
        var upstreamMessage = TryReadMessage(body, out var envelopeCode);
        if (status == 200 && envelopeCode is not null && int.TryParse(envelopeCode, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code >= 400)
        {
            status = code; // an envelope that says 200 OK over the wire but carries an error code
        }

        var retrySeconds = RetryAfterSeconds(retryAfter, now);
        return status switch
        {
            400 => new ApiError(400, "invalid_request_error", "upstream_bad_request", Sanitize(upstreamMessage, upstream) ?? "The upstream provider rejected the request."),
            413 => new ApiError(413, "invalid_request_error", "request_too_large", Sanitize(upstreamMessage, upstream) ?? "The request is too large for the upstream provider."),
            422 => new ApiError(422, "invalid_request_error", "invalid_parameter", Sanitize(upstreamMessage, upstream) ?? "The upstream provider rejected a parameter."),
            429 => ApiErrors.RateLimited("The upstream provider is rate limiting requests. Retry after the indicated time.", retrySeconds ?? 1),
            401 or 403 => ApiErrors.BadGateway("The upstream provider refused the gateway's credentials.", "upstream_auth_failed"),
            402 => ApiErrors.UpstreamUnavailable("The upstream provider cannot serve requests right now."),
            408 or 504 => ApiErrors.GatewayTimeout,
            503 => ApiErrors.UpstreamUnavailable() with { RetryAfterSeconds = retrySeconds },
            _ => ApiErrors.BadGateway($"The upstream provider failed (status {status})."),
        };
    }

    /// <summary>
    /// The provider is out of balance or credit: 402, or an error whose code or message says so (OpenAI answers 429
    /// <c>insufficient_quota</c>). Such a deployment is left out for a while, and its text never reaches the caller.
    /// </summary>
    public static bool IsOutOfBalance(int status, ReadOnlySpan<byte> body)
    {
        if (status == 402)
        {
            return true;
        }
        if (status is not (400 or 403 or 429) || body.IsEmpty)
        {
            return false;
        }
        var text = System.Text.Encoding.UTF8.GetString(body.Length > 4096 ? body[..4096] : body);
        return BalancePattern().IsMatch(text);
    }

    [GeneratedRegex(@"insufficient[_ ](quota|balance|credit|funds)|out of (credit|balance)|balance (is )?(insufficient|too low|exhausted)|credit balance", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BalancePattern();

    /// <summary>When a <c>Retry-After</c> (seconds or an HTTP date) ends, or null without one.</summary>
    public static DateTimeOffset? RetryAfterUntil(RetryConditionHeaderValue? retryAfter, DateTimeOffset now) =>
        retryAfter?.Delta is { } delta ? now + delta
        : retryAfter?.Date is { } date ? date
        : null;

    public static int? RetryAfterSeconds(RetryConditionHeaderValue? retryAfter, DateTimeOffset now)
    {
        if (retryAfter?.Delta is { } delta)
        {
            return (int)Math.Clamp(Math.Ceiling(delta.TotalSeconds), 0, 3600);
        }
        if (retryAfter?.Date is { } date)
        {
            return (int)Math.Clamp(Math.Ceiling((date - now).TotalSeconds), 0, 3600);
        }
        return null;
    }

    /// <summary>The provider's message from <c>error.message</c>, <c>message</c> or <c>detail</c>.</summary>
    private static string? TryReadMessage(ReadOnlySpan<byte> body, out string? envelopeCode)
    {
        envelopeCode = null;
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }
            string? message = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        message ??= reader.GetString();
                    }
                    else if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                        {
                            var isMessage = reader.ValueTextEquals("message"u8);
                            reader.Read();
                            if (isMessage && reader.TokenType == JsonTokenType.String)
                            {
                                message = reader.GetString();
                            }
                            reader.Skip();
                        }
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("message"u8) || reader.ValueTextEquals("detail"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        message ??= reader.GetString();
                    }
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("code"u8))
                {
                    reader.Read();
                    envelopeCode = reader.TokenType switch
                    {
                        JsonTokenType.String => reader.GetString(),
                        JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
                        _ => null,
                    };
                    reader.Skip();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            return message;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal static string? Sanitize(string? message, Upstream upstream)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            return null;
        }
        var text = UrlPattern().Replace(message, "[url]");
        if (!string.IsNullOrEmpty(upstream.Secret))
        {
            text = text.Replace(upstream.Secret, "[secret]", StringComparison.Ordinal);
        }
        text = KeyLikePattern().Replace(text, "[secret]");
        text = text.Replace('\r', ' ').Replace('\n', ' ');
        return "Upstream: " + ApiErrors.Truncate(text, MaxMessageLength);
    }

    [GeneratedRegex(@"(?i)\b(?:https?|wss?)://\S+")]
    private static partial Regex UrlPattern();

    [GeneratedRegex(@"\b(?:sk|tg|key|api)[-_][A-Za-z0-9_\-]{8,}")]
    private static partial Regex KeyLikePattern();
}
