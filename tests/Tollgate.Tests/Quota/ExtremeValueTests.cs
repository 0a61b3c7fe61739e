using System.Numerics;
using Tollgate.Pricing;
using Tollgate.Keys;
using Tollgate.Proxy;
using Tollgate.Quota;
using Tollgate.Tests.Harness;

namespace Tollgate.Tests.Quota;

/// <summary>
/// Property tests over extreme, client-controlled numbers (RELIABILITY #40): output limits times choices, token
/// estimates, rate limits and budget reservations never wrap, never throw, and never admit what a limit does not hold.
/// Seeded; a failure names its seed.
/// </summary>
public sealed class ExtremeValueTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Values at the edges a client can reach, plus random ones of every magnitude.</summary>
    private static long Extreme(Random random) => random.Next(12) switch
    {
        0 => long.MaxValue,
        1 => long.MinValue,
        2 => 1L << 62,
        3 => (1L << 62) + random.Next(3),
        4 => int.MaxValue,
        5 => 0,
        6 => 1,
        7 => -1,
        8 => long.MaxValue / random.Next(1, 200),
        9 => -(random.NextInt64() >> random.Next(64)),
        _ => random.NextInt64() >> random.Next(64),
    };

    private static void ForSeeds(int count, Action<Random> check)
    {
        var seed = Random.Shared.Next();
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            try
            {
                check(random);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new InvalidOperationException($"Failed at iteration {i} with seed {seed}: {e.Message}", e);
            }
        }
    }

    private static long Clamp(BigInteger exact) =>
        exact > long.MaxValue ? long.MaxValue : exact < long.MinValue ? long.MinValue : (long)exact;

    [Fact]
    public void SaturatingArithmetic_EqualsTheExactResultClampedToLong()
    {
        ForSeeds(200_000, random =>
        {
            long a = Extreme(random), b = Extreme(random);
            Assert.Equal(Clamp((BigInteger)a + b), Saturating.Add(a, b));
            Assert.Equal(Clamp((BigInteger)a - b), Saturating.Subtract(a, b));
            Assert.Equal(Clamp((BigInteger)a * b), Saturating.Multiply(a, b));
        });
        Assert.Equal(long.MaxValue, Saturating.Ceiling(double.MaxValue));
        Assert.Equal(long.MaxValue, Saturating.Ceiling(double.NaN));
        Assert.Equal(long.MaxValue, Saturating.Ceiling(9.3e18));
        Assert.Equal(long.MinValue, Saturating.Ceiling(double.NegativeInfinity));
        Assert.Equal(3, Saturating.Ceiling(2.1));
    }

    [Fact]
    public void TheMostOutputARequestAsksFor_NeverWraps()
    {
        ForSeeds(50_000, random =>
        {
            var perChoice = random.Next(4) switch { 0 => long.MaxValue, 1 => 1L << 62, _ => (Extreme(random) & long.MaxValue) | 1 };
            var choices = random.Next(1, 129);
            var body = $$"""{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":{{perChoice}},"n":{{choices}}}""";
            Assert.Null(ChatRequestParser.TryParse(System.Text.Encoding.UTF8.GetBytes(body), null, out var request));
            Assert.Equal(Clamp((BigInteger)perChoice * choices), request.MaxOutputTokens);
            Assert.True(request.MaxOutputTokens >= perChoice);
        });
    }

    [Fact]
    public void RateLimits_UnderExtremeEstimatesSettlementsAndClockJumps_NeverWrapNorAdmitMoreThanTheLimit()
    {
        ForSeeds(5_000, random =>
        {
            var clock = new ManualTimeProvider(T0);
            // The memory store answers at once, so waiting here blocks nothing.
            var limiter = KeyRateLimiterTests.Create(new MemoryQuotaStore(), clock).Limiter;
            var limit = random.Next(4) switch { 0 => 1, 1 => 2_000, 2 => ApiKey.MaxPerMinute, _ => random.NextInt64(1, ApiKey.MaxPerMinute) };
            var key = new ApiKey { Id = "k", Hash = KeyHash.Compute("tg-k"), RequestsPerMinute = limit, TokensPerMinute = limit };
            var admittedInMinute = 0L;
            var minute = BudgetWindow.Of(BudgetPeriod.Minute, clock.GetUtcNow()).Key;
            for (var step = 0; step < 6; step++)
            {
                clock.Advance(TimeSpan.FromTicks(random.Next(3) switch { 0 => 0, 1 => random.NextInt64(TimeSpan.TicksPerMinute), _ => random.NextInt64(TimeSpan.TicksPerDay * 3650) }));
                if (BudgetWindow.Of(BudgetPeriod.Minute, clock.GetUtcNow()).Key is var now && now != minute)
                {
                    (minute, admittedInMinute) = (now, 0);
                }
                var estimate = Math.Max(0, Extreme(random));
                var result = limiter.AcquireAsync(key, estimate, TestContext.Current.CancellationToken).AsTask().GetAwaiter().GetResult();
                if (estimate > limit)
                {
                    Assert.NotNull(result.Error);
                }
                Assert.InRange(result.State.RemainingTokens, 0, limit);
                Assert.InRange(result.State.RemainingRequests, 0, limit);
                Assert.InRange(result.State.TokensReset, TimeSpan.Zero, TimeSpan.FromMinutes(1));
                if (result.Error is { } refusal)
                {
                    Assert.True(refusal.RetryAfterSeconds is null or >= 0);
                    Assert.True(refusal.RetryAfterMilliseconds is null or >= 0);
                    continue;
                }
                Assert.InRange(++admittedInMinute, 1, limit);
                // Settled to any use at all, from nothing to far more than was asked for.
                var reservation = result.Reservation;
                limiter.Settle(ref reservation, Math.Max(0, Extreme(random)));
                var after = limiter.Peek(key);
                Assert.InRange(after.RemainingTokens, 0, limit);
                Assert.InRange(after.TokensReset, TimeSpan.Zero, TimeSpan.FromMinutes(1));
            }
        });
    }

    [Fact]
    public void ACostAtTheHighestPrices_ForAnyTokenCounts_NeverOverflows()
    {
        var price = new ModelPrice
        {
            Model = "m", InputPerMillion = ModelPrice.MaxPrice, CachedInputPerMillion = ModelPrice.MaxPrice,
            OutputPerMillion = ModelPrice.MaxPrice, ReasoningPerMillion = ModelPrice.MaxPrice, PerRequest = ModelPrice.MaxPrice,
        };
        Assert.Null(price.Problem());
        ForSeeds(50_000, random =>
        {
            var cost = price.CostOf(Extreme(random), Extreme(random), Extreme(random), Extreme(random), reachedModel: true);
            Assert.True(cost >= 0);
        });
        Assert.NotNull(new ModelPrice { Model = "m", OutputPerMillion = ModelPrice.MaxPrice + 1 }.Problem());
    }

    [Fact]
    public async Task BudgetReservations_OfExtremeWorstCases_NeverThrow_AndAHardBudgetNeverAdmitsWhatExceedsIt()
    {
        var seed = Random.Shared.Next();
        var random = new Random(seed);
        for (var i = 0; i < 2_000; i++)
        {
            var clock = new ManualTimeProvider(T0);
            var quotas = QuotaAccountsTests.Create(new MemoryQuotaStore(), clock).Accounts;
            var budget = new Budget
            {
                Amount = random.Next(3) == 0 ? null : random.Next(3) switch { 0 => 0m, 1 => Budget.MaxLimit, _ => (decimal)random.NextDouble() * 1000 },
                Tokens = random.Next(3) == 0 ? null : random.Next(3) switch { 0 => 0, 1 => Budget.MaxLimit, _ => random.NextInt64(1, 1_000_000) },
            };
            if (!budget.IsSet)
            {
                budget.Tokens = Budget.MaxLimit;
            }
            Assert.Null(budget.Problem());
            var key = new ApiKey { Id = "k" + i, Owner = "o", Hash = KeyHash.Compute("tg-k"), Budget = budget };
            for (var step = 0; step < 4; step++)
            {
                // The worst case the request path can reserve: at most long.MaxValue tokens at the highest price.
                var tokens = Math.Max(0, Extreme(random));
                var money = new ModelPrice { Model = "m", OutputPerMillion = ModelPrice.MaxPrice }.CostOf(0, 0, tokens, 0, reachedModel: true);
                var hold = new BudgetHold();
                var (keyBudget, ownerBudget) = quotas.BudgetsOf(key);
                Tollgate.Errors.ApiError? refusal;
                try
                {
                    refusal = await quotas.ReserveAsync(key, keyBudget, ownerBudget, new QuotaAmount(money, tokens), hold, Ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    throw new InvalidOperationException($"Seed {seed}, iteration {i}: {e.Message}", e);
                }
                var exceeds = (budget.Amount is { } amount && money > amount) || (budget.Tokens is { } limit && tokens > limit);
                Assert.False(exceeds && refusal is null, $"Seed {seed}, iteration {i}: a hard budget of {budget} admitted {money} / {tokens} tokens.");
                if (refusal is not null)
                {
                    Assert.Equal(402, refusal.Status);
                }
                quotas.Settle(hold, new QuotaAmount(Math.Min(money, 1m), Math.Min(tokens, 1_000)));
            }
        }
    }
}
