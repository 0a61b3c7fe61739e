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
        string? requestsReset = null;
        if (state.RequestLimit is { } requests)
        {
            headers["x-ratelimit-limit-requests"] = state.RequestLimitText ?? requests.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining-requests"] = state.RemainingRequests.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-requests"] = requestsReset = Duration(state.RequestsReset);
        }
        if (state.TokenLimit is { } tokens)
        {
            headers["x-ratelimit-limit-tokens"] = state.TokenLimitText ?? tokens.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining-tokens"] = state.RemainingTokens.ToString(CultureInfo.InvariantCulture);
            // Both limits count per minute, so their resets are usually the same text: made once.
            headers["x-ratelimit-reset-tokens"] = requestsReset is not null && state.TokensReset == state.RequestsReset ? requestsReset : Duration(state.TokensReset);
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
        // Written into one buffer and made a string once: this is on every response of a key with limits.
        Span<char> text = stackalloc char[48];
        var length = 0;
        if (milliseconds < 1000)
        {
            milliseconds.TryFormat(text, out length, provider: CultureInfo.InvariantCulture);
            text[length++] = 'm';
            text[length++] = 's';
            return new string(text[..length]);
        }
        var (hours, rest) = Math.DivRem(milliseconds, 3_600_000);
        var (minutes, inMinute) = Math.DivRem(rest, 60_000);
        var (seconds, fraction) = Math.DivRem(inMinute, 1000);
        if (hours > 0)
        {
            length += Append(text[length..], hours, 'h');
        }
        if (hours > 0 || minutes > 0)
        {
            length += Append(text[length..], minutes, 'm');
        }
        seconds.TryFormat(text[length..], out var written, provider: CultureInfo.InvariantCulture);
        length += written;
        if (fraction > 0)
        {
            // Seconds with up to three decimals and no trailing zeros: 1.5s, 59.912s, 2s.
            text[length++] = '.';
            fraction.TryFormat(text[length..], out written, "000", CultureInfo.InvariantCulture);
            length += written;
            while (text[length - 1] == '0')
            {
                length--;
            }
        }
        text[length++] = 's';
        return new string(text[..length]);
    }

    private static int Append(Span<char> text, long value, char unit)
    {
        value.TryFormat(text, out var written, provider: CultureInfo.InvariantCulture);
        text[written] = unit;
        return written + 1;
    }
}
