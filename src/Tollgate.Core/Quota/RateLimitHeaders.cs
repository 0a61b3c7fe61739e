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
            headers["x-ratelimit-limit-requests"] = requests.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining-requests"] = state.RemainingRequests.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-requests"] = Duration(state.RequestsReset);
        }
        if (state.TokenLimit is { } tokens)
        {
            headers["x-ratelimit-limit-tokens"] = tokens.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining-tokens"] = state.RemainingTokens.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-tokens"] = Duration(state.TokensReset);
        }
    }

    /// <summary>A duration as OpenAI's headers write it: <c>0s</c>, <c>250ms</c>, <c>1.5s</c>, <c>6m0s</c>, <c>1h2m3s</c>.</summary>
    public static string Duration(TimeSpan span)
    {
        if (span <= TimeSpan.Zero)
        {
            return "0s";
        }
        if (span < TimeSpan.FromSeconds(1))
        {
            return ((long)Math.Ceiling(span.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms";
        }
        var seconds = (span.TotalSeconds % 60).ToString("0.###", CultureInfo.InvariantCulture) + "s";
        return span < TimeSpan.FromMinutes(1) ? seconds
            : span < TimeSpan.FromHours(1) ? ((int)span.TotalMinutes).ToString(CultureInfo.InvariantCulture) + "m" + seconds
            : ((int)span.TotalHours).ToString(CultureInfo.InvariantCulture) + "h" + span.Minutes.ToString(CultureInfo.InvariantCulture) + "m" + seconds;
    }
}
