using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Tollgate.Quota;

/// <summary>
/// OpenAI's rate-limit headers: <c>x-ratelimit-limit-requests</c>, <c>-remaining-requests</c>, <c>-reset-requests</c>
/// and the same for tokens; resets as OpenAI writes durations (<c>20ms</c>, <c>1.5s</c>, <c>6m0s</c>).
/// </summary>
public static class RateLimitHeaders
{
    public static void Write(IHeaderDictionary headers, RateLimitState state)
    {
        if (state.RequestLimit is { } requests)
        {
            headers["x-ratelimit-limit-requests"] = state.RequestLimitText ?? requests.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining-requests"] = state.RemainingRequests.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-requests"] = Duration(state.RequestsReset);
        }
        if (state.TokenLimit is { } tokens)
        {
            headers["x-ratelimit-limit-tokens"] = state.TokenLimitText ?? tokens.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining-tokens"] = state.RemainingTokens.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-tokens"] = Duration(state.TokensReset);
        }
    }

    /// <summary>A duration as OpenAI's headers write it: <c>0s</c>, <c>250ms</c>, <c>1.5s</c>, <c>6m0s</c>, <c>1h2m3s</c>.</summary>
    public static string Duration(TimeSpan span)
    {
        var milliseconds = (long)Math.Ceiling(span.TotalMilliseconds);
        if (milliseconds <= 0)
        {
            return "0s";
        }
        if (milliseconds < 1000)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{milliseconds}ms");
        }
        var (hours, rest) = Math.DivRem(milliseconds, 3_600_000);
        var (minutes, inMinute) = Math.DivRem(rest, 60_000);
        var (seconds, fraction) = Math.DivRem(inMinute, 1000);
        // Seconds with up to three decimals and no trailing zeros: 1.5s, 59.912s, 2s.
        var decimals = fraction == 0 ? "" : fraction % 100 == 0 ? "." + (fraction / 100).ToString(CultureInfo.InvariantCulture)
            : fraction % 10 == 0 ? "." + (fraction / 10).ToString("00", CultureInfo.InvariantCulture) : "." + fraction.ToString("000", CultureInfo.InvariantCulture);
        return hours > 0 ? string.Create(CultureInfo.InvariantCulture, $"{hours}h{minutes}m{seconds}{decimals}s")
            : minutes > 0 ? string.Create(CultureInfo.InvariantCulture, $"{minutes}m{seconds}{decimals}s")
            : string.Create(CultureInfo.InvariantCulture, $"{seconds}{decimals}s");
    }
}
