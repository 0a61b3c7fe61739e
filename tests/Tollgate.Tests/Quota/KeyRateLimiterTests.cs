using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tollgate.Errors;
using Tollgate.Keys;
using Tollgate.Quota;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.Quota;

/// <summary>
/// Requests and tokens per minute through <see cref="KeyRateLimiter"/> with a fake clock: one instance, and several
/// instances (each its own <see cref="LocalAccounts"/>) sharing one store, as instances share Table Storage.
/// </summary>
public sealed class KeyRateLimiterTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ApiKey Key(long? rpm = null, long? tpm = null) =>
        new() { Id = "k1", Hash = KeyHash.Compute("tg-k1"), RequestsPerMinute = rpm, TokensPerMinute = tpm };

    /// <summary>One instance's limiter and flusher over its own <see cref="LocalAccounts"/>, as <c>AddTollgate</c> wires them.</summary>
    internal sealed record Instance(KeyRateLimiter Limiter, QuotaFlusher Flusher, LeaseReleaser Releaser);

    internal static Instance Create(IQuotaStore store, TimeProvider clock, QuotaOptions? options = null)
    {
        var quotaOptions = Options.Create(options ?? new QuotaOptions());
        var local = new LocalAccounts(store, quotaOptions, clock, NullLogger<LocalAccounts>.Instance);
        return new Instance(new KeyRateLimiter(local, quotaOptions, clock), new QuotaFlusher(local, quotaOptions, clock),
            new LeaseReleaser(store, clock, NullLogger<LeaseReleaser>.Instance));
    }

    /// <summary>Takes and, when admitted, settles at once to <paramref name="used"/> tokens (null: keeps the reservation open).</summary>
    private static async Task<RateLimitResult> TakeAsync(KeyRateLimiter limiter, ApiKey key, long estimate, long? used = 0)
    {
        var result = await limiter.AcquireAsync(key, estimate, Ct);
        if (result.Error is null && used is { } tokens)
        {
            var reservation = result.Reservation;
            limiter.Settle(ref reservation, tokens);
            Assert.True(reservation.IsEmpty);
        }
        return result;
    }

    [Fact]
    public async Task AKeyWithoutLimits_IsNeverLimited_AndHasNoHeaders()
    {
        var store = new QuotaAccountsTests.CountingStore(new MemoryQuotaStore());
        var limiter = Create(store, new ManualTimeProvider(T0)).Limiter;
        for (var i = 0; i < 1000; i++)
        {
            var result = await TakeAsync(limiter, Key(), 1_000_000);
            Assert.Null(result.Error);
            Assert.False(result.State.HasLimits);
            Assert.True(result.Reservation.IsEmpty);
        }
        Assert.Equal(0, store.Exchanges);
    }

    [Fact]
    public async Task RequestsPerMinute_AdmitTheMinutesLimit_ThenRefuseUntilTheNextMinute_WithRetryAfter()
    {
        var clock = new ManualTimeProvider(T0.AddSeconds(15));
        var store = new QuotaAccountsTests.CountingStore(new MemoryQuotaStore());
        var limiter = Create(store, clock).Limiter;
        var key = Key(rpm: 60);
        for (var i = 0; i < 60; i++)
        {
            var result = await TakeAsync(limiter, key, 10);
            Assert.Null(result.Error);
            Assert.Equal(59 - i, result.State.RemainingRequests);
            Assert.Equal(TimeSpan.FromSeconds(45), result.State.RequestsReset);
        }
        // Far from the limit the allowance is in memory: a storage exchange for a tenth of what is left, not per request.
        Assert.InRange(store.Exchanges, 1, 40);

        var refused = await TakeAsync(limiter, key, 10);
        Assert.NotNull(refused.Error);
        Assert.Equal((429, "rate_limit_exceeded", 45, 45_000L), (refused.Error.Status, refused.Error.Code, refused.Error.RetryAfterSeconds, refused.Error.RetryAfterMilliseconds));
        Assert.Contains("requests per minute (limit 60)", refused.Error.Message, StringComparison.Ordinal);
        Assert.Equal(0L, refused.State.RemainingRequests);

        // A client retrying in a loop does not become a storage round trip per retry.
        var exchanges = store.Exchanges;
        for (var i = 0; i < 100; i++)
        {
            Assert.NotNull((await TakeAsync(limiter, key, 10)).Error);
        }
        Assert.Equal(exchanges, store.Exchanges);

        clock.Advance(TimeSpan.FromSeconds(44.999));
        Assert.NotNull((await TakeAsync(limiter, key, 10)).Error);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var next = await TakeAsync(limiter, key, 10);
        Assert.Null(next.Error);
        Assert.Equal((59L, TimeSpan.FromMinutes(1)), (next.State.RemainingRequests, next.State.RequestsReset));
    }

    [Fact]
    public async Task TokensPerMinute_TakeTheEstimate_AndSettleToWhatWasUsed()
    {
        var clock = new ManualTimeProvider(T0);
        var limiter = Create(new MemoryQuotaStore(), clock).Limiter;
        var key = Key(tpm: 1000);

        var first = await TakeAsync(limiter, key, 800, used: null);
        Assert.Null(first.Error);
        Assert.Equal(200, first.State.RemainingTokens);
        var refused = await TakeAsync(limiter, key, 300);
        Assert.NotNull(refused.Error);
        Assert.Contains("tokens per minute (limit 1000, this request may use 300)", refused.Error.Message, StringComparison.Ordinal);
        Assert.Equal(60, refused.Error.RetryAfterSeconds);

        var reservation = first.Reservation;
        limiter.Settle(ref reservation, 50); // it used far less than it might have
        limiter.Settle(ref reservation, 50); // settled once only
        Assert.Equal(950, limiter.Peek(key).RemainingTokens);
        Assert.Null((await TakeAsync(limiter, key, 300, used: 1500)).Error); // and used more than it reserved
        Assert.Equal(0, limiter.Peek(key).RemainingTokens);
        Assert.NotNull((await TakeAsync(limiter, key, 1)).Error);

        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1000, limiter.Peek(key).RemainingTokens);
        Assert.Null((await TakeAsync(limiter, key, 1000)).Error);
    }

    [Fact]
    public async Task ARequestThatCanNeverFit_IsRefusedAsTooLarge_WithoutARetryAfter()
    {
        var limiter = Create(new MemoryQuotaStore(), new ManualTimeProvider(T0)).Limiter;
        var refused = await TakeAsync(limiter, Key(tpm: 1000), 5000);
        Assert.NotNull(refused.Error);
        Assert.Null(refused.Error.RetryAfterSeconds);
        Assert.StartsWith("Request too large", refused.Error.Message, StringComparison.Ordinal);
        Assert.Equal(1000, refused.State.RemainingTokens);
    }

    [Fact]
    public async Task ChangedLimits_TakeEffectAtOnce_WithTheMinutesUseCounted()
    {
        var limiter = Create(new MemoryQuotaStore(), new ManualTimeProvider(T0)).Limiter;
        for (var i = 0; i < 2; i++)
        {
            Assert.Null((await TakeAsync(limiter, Key(rpm: 2), 1)).Error);
        }
        Assert.NotNull((await TakeAsync(limiter, Key(rpm: 2), 1)).Error);
        var raised = await TakeAsync(limiter, Key(rpm: 5), 1);
        Assert.Null(raised.Error);
        Assert.Equal((5L, 2L), (raised.State.RequestLimit!.Value, raised.State.RemainingRequests));
        Assert.NotNull((await TakeAsync(limiter, Key(rpm: 1), 1)).Error);
    }

    /// <summary>
    /// Three instances on one store, 600 requests over one minute spread over them (or all on one): the minute admits
    /// exactly the limit of requests, never more, and the tokens stay within the limit; far from the limit an instance
    /// exchanges with storage for a share of what is left, not once per request.
    /// </summary>
    [Theory]
    [InlineData(3)]
    [InlineData(1)]
    public async Task ThreeInstances_HoldTheKeysLimitTogether_AndReachIt(int busy)
    {
        var clock = new ManualTimeProvider(T0);
        var store = new QuotaAccountsTests.CountingStore(new MemoryQuotaStore());
        var instances = Enumerable.Range(0, 3).Select(_ => Create(store, clock)).ToArray();
        var key = Key(rpm: 120, tpm: 20_000);
        var random = new Random(7);
        long admitted = 0, tokens = 0;
        for (var i = 0; i < 600; i++)
        {
            var instance = instances[busy == 1 ? 0 : random.Next(3)];
            var used = random.Next(10, 160);
            var result = await TakeAsync(instance.Limiter, key, 200, used);
            if (result.Error is null)
            {
                admitted++;
                tokens += used;
            }
            else
            {
                Assert.Equal(429, result.Error.Status);
            }
            clock.Advance(TimeSpan.FromMilliseconds(99.9));
            if (i % 20 == 19)
            {
                // Every FlushInterval (2 s) each instance reports and renews, as its flusher does.
                await Task.WhenAll(instances.Select(x => x.Flusher.FlushAsync(final: false, Ct)));
            }
        }
        Assert.Equal(120, admitted);
        Assert.True(tokens <= 20_000, $"{tokens} tokens");
        Assert.True(store.Exchanges < 600, $"{store.Exchanges} exchanges for 600 requests");
    }

    [Fact]
    public async Task AnIdleInstance_GivesItsAllowanceBack_SoABusyOneReachesTheWholeLimit()
    {
        var clock = new ManualTimeProvider(T0);
        var store = new MemoryQuotaStore();
        var (idle, busy) = (Create(store, clock), Create(store, clock));
        var key = Key(rpm: 100);
        Assert.Null((await TakeAsync(idle.Limiter, key, 1)).Error); // takes an allowance of about a tenth
        var served = 1;
        while ((await TakeAsync(busy.Limiter, key, 1)).Error is null)
        {
            served++;
        }
        Assert.InRange(served, 85, 99);

        // One FlushInterval later the idle instance's flush gives its allowance back; the busy one asks again after its
        // own last refusal has aged a FlushInterval.
        clock.Advance(TimeSpan.FromSeconds(2));
        await idle.Flusher.FlushAsync(final: false, Ct);
        while ((await TakeAsync(busy.Limiter, key, 1)).Error is null)
        {
            served++;
        }
        Assert.Equal(100, served);
    }

    [Fact]
    public async Task ADeadInstancesAllowance_ComesBackWithinTheMinute_WhenItsLeaseExpires()
    {
        var clock = new ManualTimeProvider(T0);
        var store = new MemoryQuotaStore();
        var options = new QuotaOptions { RateLimitLeaseDuration = TimeSpan.FromSeconds(10) };
        var (dead, survivor) = (Create(store, clock, options), Create(store, clock, options));
        var key = Key(rpm: 100);
        Assert.Null((await TakeAsync(dead.Limiter, key, 1)).Error);
        // Its last flush reports the request it served and renews its allowance; what it served after a last report
        // would be lost with it, and is part of the stated bound.
        await dead.Flusher.FlushAsync(final: false, Ct);
        var served = 1;
        while ((await TakeAsync(survivor.Limiter, key, 1)).Error is null)
        {
            served++;
        }
        Assert.True(served < 100);

        // The dead instance never flushes again; its lease expires 10 s after its last exchange.
        clock.Advance(TimeSpan.FromSeconds(10.5));
        while ((await TakeAsync(survivor.Limiter, key, 1)).Error is null)
        {
            served++;
        }
        Assert.Equal(100, served);
    }

    [Fact]
    public async Task StorageOut_ServesOnTheLocalShare_OrRefuses_AsConfigured()
    {
        var clock = new ManualTimeProvider(T0);
        var key = Key(rpm: 100, tpm: 1_000_000);

        var store = new QuotaAccountsTests.CountingStore(new MemoryQuotaStore()) { Down = true };
        var local = Create(store, clock, new QuotaOptions { ExpectedInstances = 4 }).Limiter;
        var served = 0;
        RateLimitResult last;
        while ((last = await TakeAsync(local, key, 10)).Error is null)
        {
            served++;
        }
        Assert.Equal(25, served); // 100 ÷ 4 instances
        Assert.Equal(429, last.Error.Status);
        Assert.Equal(0, last.State.RemainingRequests);
        // One failed exchange per FlushInterval, not per request.
        Assert.Equal(1, store.Exchanges);

        // Storage back: the next minute is shared again, and what was served on the local share is reported.
        store.Down = false;
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Null((await TakeAsync(local, key, 10)).Error);

        var refusing = Create(new QuotaAccountsTests.CountingStore(new MemoryQuotaStore()) { Down = true }, clock,
            new QuotaOptions { RateLimitsWithoutStorage = RateLimitFallback.Refuse }).Limiter;
        var refused = await TakeAsync(refusing, key, 10);
        Assert.Same(ApiErrors.RateLimitsUnavailable, refused.Error);
        Assert.Equal(503, refused.Error!.Status);
    }

    [Fact]
    public async Task EndedMinutes_AreRemovedFromTheStore_ByTheTimersRun()
    {
        var clock = new ManualTimeProvider(T0);
        var store = new MemoryQuotaStore();
        var instance = Create(store, clock);
        for (var minute = 0; minute < 30; minute++)
        {
            Assert.Null((await TakeAsync(instance.Limiter, Key(rpm: 10), 1)).Error);
            await instance.Flusher.FlushAsync(final: false, Ct);
            clock.Advance(TimeSpan.FromMinutes(1));
        }
        await instance.Releaser.ReleaseExpiredLeasesAsync(Ct);
        var minutes = Enumerable.Range(0, 31).Select(m => new QuotaAccountId(BudgetScope.Key, "k1", BudgetWindow.Of(BudgetPeriod.Minute, T0.AddMinutes(m)))).ToList();
        var kept = 0;
        foreach (var id in minutes)
        {
            kept += await store.ReadAsync(id, Ct) is null ? 0 : 1;
        }
        // Only the minutes within LeaseReleaser.KeepEndedMinutes of now are left.
        Assert.InRange(kept, 1, (int)LeaseReleaser.KeepEndedMinutes.TotalMinutes + 1);
        Assert.Null(await store.ReadAsync(minutes[0], Ct));
    }

    [Fact]
    public void TheMinute_IsNeverABudgetsPeriod()
    {
        Assert.False(Budget.TryParse<BudgetPeriod>("minute", out _));
        Assert.NotNull(new Budget { Amount = 1, Period = BudgetPeriod.Minute }.Problem());
        Assert.Equal("m202611231205", BudgetWindow.Of(BudgetPeriod.Minute, T0.AddMinutes(5).AddSeconds(59.9)).Key);
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(20, "20ms")]
    [InlineData(999.2, "1s")]
    [InlineData(1500, "1.5s")]
    [InlineData(1050, "1.05s")]
    [InlineData(3_600_000, "1h0m0s")]
    [InlineData(86_400_000L * 3650, "87600h0m0s")]
    [InlineData(59_912, "59.912s")]
    [InlineData(360_000, "6m0s")]
    [InlineData(3_723_000, "1h2m3s")]
    public void Resets_AreWrittenAsOpenAiWritesThem(double milliseconds, string expected) =>
        Assert.Equal(expected, RateLimitHeaders.Duration(TimeSpan.FromMilliseconds(milliseconds)));
}
