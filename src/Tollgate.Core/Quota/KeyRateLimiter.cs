using System.Collections.Concurrent;
using Tollgate.Errors;
using Tollgate.Keys;

namespace Tollgate.Quota;

/// <summary>
/// Requests and tokens per minute per key, enforced in this instance (see README: each instance holds the whole
/// limit, so N instances allow up to N times it). A request takes one request and its token estimate (prompt
/// estimate plus the most output it asks for) before it is forwarded; once it ends, the estimate is settled to
/// the tokens it really used.
/// </summary>
public sealed class KeyRateLimiter(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, KeyBuckets> _keys = new(StringComparer.Ordinal);

    /// <summary>The key's limits and what is left, without taking anything.</summary>
    public RateLimitState Peek(ApiKey key)
    {
        if (key.RequestsPerMinute is null && key.TokensPerMinute is null)
        {
            return default;
        }
        var buckets = BucketsOf(key);
        lock (buckets)
        {
            return buckets.State(time.GetUtcNow().UtcTicks);
        }
    }

    /// <summary>
    /// Takes one request and <paramref name="estimatedTokens"/> tokens, or neither. Returns the answer refusing the
    /// request (429 with Retry-After) when a limit is reached, else null.
    /// </summary>
    public ApiError? TryAcquire(ApiKey key, long estimatedTokens, out RateLimitState state)
    {
        state = default;
        if (key.RequestsPerMinute is null && key.TokensPerMinute is null)
        {
            return null;
        }
        var buckets = BucketsOf(key);
        var now = time.GetUtcNow().UtcTicks;
        lock (buckets)
        {
            if (buckets.Tokens is { } tokens && estimatedTokens > tokens.Limit)
            {
                state = buckets.State(now);
                return ApiErrors.RateLimited(
                    $"Request too large: it may use {estimatedTokens} tokens (prompt and the most output it asks for) and this key allows {tokens.Limit} tokens per minute. Ask for less output with max_completion_tokens.",
                    retryAfterSeconds: null);
            }
            var requestsWait = buckets.Requests?.TimeUntil(1, now) ?? TimeSpan.Zero;
            var tokensWait = buckets.Tokens?.TimeUntil(estimatedTokens, now) ?? TimeSpan.Zero;
            if (requestsWait > TimeSpan.Zero || tokensWait > TimeSpan.Zero)
            {
                state = buckets.State(now);
                var wait = requestsWait > tokensWait ? requestsWait : tokensWait;
                var which = requestsWait >= tokensWait
                    ? $"requests per minute (limit {buckets.Requests!.Limit})"
                    : $"tokens per minute (limit {buckets.Tokens!.Limit}, this request may use {estimatedTokens})";
                return ApiErrors.RateLimited($"Rate limit reached for {which} on this key. Try again in {RateLimitHeaders.Duration(wait)}.",
                    (int)Math.Ceiling(wait.TotalSeconds)) with { RetryAfterMilliseconds = (long)Math.Ceiling(wait.TotalMilliseconds) };
            }
            buckets.Requests?.TryTake(1, now);
            buckets.Tokens?.TryTake(estimatedTokens, now);
            state = buckets.State(now);
            return null;
        }
    }

    /// <summary>Settles a request's token estimate to what it used (more or less).</summary>
    public void Settle(ApiKey key, long estimatedTokens, long usedTokens)
    {
        if (key.TokensPerMinute is null || usedTokens == estimatedTokens)
        {
            return;
        }
        var buckets = BucketsOf(key);
        lock (buckets)
        {
            buckets.Tokens?.Adjust(usedTokens - estimatedTokens, time.GetUtcNow().UtcTicks);
        }
    }

    /// <summary>The key's buckets; new ones when its limits changed (an admin update).</summary>
    private KeyBuckets BucketsOf(ApiKey key)
    {
        var now = time.GetUtcNow().UtcTicks;
        var buckets = _keys.GetOrAdd(key.Id, static (_, state) => new KeyBuckets(state.key, state.now), (key, now));
        if (buckets.RequestLimit != key.RequestsPerMinute || buckets.TokenLimit != key.TokensPerMinute)
        {
            var fresh = new KeyBuckets(key, now);
            buckets = _keys.TryUpdate(key.Id, fresh, buckets) ? fresh : _keys[key.Id];
        }
        return buckets;
    }

    private sealed class KeyBuckets(ApiKey key, long now)
    {
        public long? RequestLimit { get; } = key.RequestsPerMinute;
        public long? TokenLimit { get; } = key.TokensPerMinute;
        public TokenBucket? Requests { get; } = key.RequestsPerMinute is { } rpm ? new TokenBucket(rpm, now) : null;
        public TokenBucket? Tokens { get; } = key.TokensPerMinute is { } tpm ? new TokenBucket(tpm, now) : null;

        private readonly string? _requestLimitText = key.RequestsPerMinute?.ToString(System.Globalization.CultureInfo.InvariantCulture);
        private readonly string? _tokenLimitText = key.TokensPerMinute?.ToString(System.Globalization.CultureInfo.InvariantCulture);

        public RateLimitState State(long now) => new(
            Requests?.Limit, Requests?.Remaining(now) ?? 0, Requests?.TimeUntilFull(now) ?? TimeSpan.Zero,
            Tokens?.Limit, Tokens?.Remaining(now) ?? 0, Tokens?.TimeUntilFull(now) ?? TimeSpan.Zero)
        {
            RequestLimitText = _requestLimitText,
            TokenLimitText = _tokenLimitText,
        };
    }
}
