using Tollgate.Keys;
using Tollgate.Quota;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.Quota;

public sealed class KeyRateLimiterTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    private static ApiKey Key(long? rpm = null, long? tpm = null) =>
        new() { Id = "k1", Hash = KeyHash.Compute("tg-k1"), RequestsPerMinute = rpm, TokensPerMinute = tpm };

    [Fact]
    public void AKeyWithoutLimits_IsNeverLimited_AndHasNoHeaders()
    {
        var limiter = new KeyRateLimiter(new ManualTimeProvider(T0));
        for (var i = 0; i < 1000; i++)
        {
            Assert.Null(limiter.TryAcquire(Key(), 1_000_000, out var state));
            Assert.False(state.HasLimits);
        }
    }

    [Fact]
    public void RequestsPerMinute_AllowsTheMinutesBurst_ThenRefillsSteadily_WithRetryAfter()
    {
        var clock = new ManualTimeProvider(T0);
        var limiter = new KeyRateLimiter(clock);
        var key = Key(rpm: 60);
        for (var i = 0; i < 60; i++)
        {
            Assert.Null(limiter.TryAcquire(key, 10, out var state));
            Assert.Equal(59 - i, state.RemainingRequests);
        }

        var refused = limiter.TryAcquire(key, 10, out var full);
        Assert.NotNull(refused);
        Assert.Equal((429, "rate_limit_exceeded", 1, 1000L), (refused.Status, refused.Code, refused.RetryAfterSeconds, refused.RetryAfterMilliseconds));
        Assert.Contains("requests per minute (limit 60)", refused.Message, StringComparison.Ordinal);
        Assert.Equal((0L, TimeSpan.FromMinutes(1)), (full.RemainingRequests, full.RequestsReset));

        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.NotNull(limiter.TryAcquire(key, 10, out _));
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(limiter.TryAcquire(key, 10, out _));
    }

    [Fact]
    public void TokensPerMinute_TakesTheEstimate_AndSettlesToWhatWasUsed()
    {
        var clock = new ManualTimeProvider(T0);
        var limiter = new KeyRateLimiter(clock);
        var key = Key(tpm: 1000);

        Assert.Null(limiter.TryAcquire(key, 800, out var afterFirst));
        Assert.Equal(200, afterFirst.RemainingTokens);
        var refused = limiter.TryAcquire(key, 300, out _);
        Assert.NotNull(refused);
        Assert.Contains("tokens per minute (limit 1000, this request may use 300)", refused.Message, StringComparison.Ordinal);
        Assert.Equal(6, refused.RetryAfterSeconds); // 100 tokens at 1000 a minute

        limiter.Settle(key, estimatedTokens: 800, usedTokens: 50); // it used far less than it might have
        Assert.Equal(950, limiter.Peek(key).RemainingTokens);
        Assert.Null(limiter.TryAcquire(key, 300, out _));

        limiter.Settle(key, estimatedTokens: 300, usedTokens: 1500); // more than reserved: the key is in debt
        Assert.Equal(0, limiter.Peek(key).RemainingTokens);
        Assert.NotNull(limiter.TryAcquire(key, 1, out _));
    }

    [Fact]
    public void ARequestThatCanNeverFit_IsRefusedAsTooLarge_WithoutARetryAfter()
    {
        var limiter = new KeyRateLimiter(new ManualTimeProvider(T0));
        var refused = limiter.TryAcquire(Key(tpm: 1000), 5000, out var state);
        Assert.NotNull(refused);
        Assert.Null(refused.RetryAfterSeconds);
        Assert.StartsWith("Request too large", refused.Message, StringComparison.Ordinal);
        Assert.Equal(1000, state.RemainingTokens);
    }

    [Fact]
    public void ChangedLimits_StartFresh()
    {
        var limiter = new KeyRateLimiter(new ManualTimeProvider(T0));
        for (var i = 0; i < 2; i++)
        {
            Assert.Null(limiter.TryAcquire(Key(rpm: 2), 1, out _));
        }
        Assert.NotNull(limiter.TryAcquire(Key(rpm: 2), 1, out _));
        Assert.Null(limiter.TryAcquire(Key(rpm: 5), 1, out var state));
        Assert.Equal((5L, 4L), (state.RequestLimit!.Value, state.RemainingRequests));
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(20, "20ms")]
    [InlineData(999.2, "1s")]
    [InlineData(1500, "1.5s")]
    [InlineData(59_912, "59.912s")]
    [InlineData(360_000, "6m0s")]
    [InlineData(3_723_000, "1h2m3s")]
    public void Resets_AreWrittenAsOpenAiWritesThem(double milliseconds, string expected) =>
        Assert.Equal(expected, RateLimitHeaders.Duration(TimeSpan.FromMilliseconds(milliseconds)));
}
