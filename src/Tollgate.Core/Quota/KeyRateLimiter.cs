using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;
using Tollgate.Errors;
using Tollgate.Keys;

namespace Tollgate.Quota;

/// <summary>
/// A key's requests and tokens per minute, held across every instance that serves it. Each UTC clock minute of a
/// limited key is a shared account, the same kind budgets use (<see cref="LocalAccounts"/>, <see cref="BudgetMath"/>):
/// its money part counts requests, its token part tokens. An instance takes an allowance (a share of what is left of
/// the minute) and admits requests from it in memory; only when the allowance cannot cover a request does it exchange
/// with the shared account, which near the limit is once per request. A request takes one request and its token
/// estimate (prompt estimate plus the most output it asks for) before it is forwarded and settles to the tokens it
/// used when it ends, in the minute it started in.
/// </summary>
/// <remarks>
/// What may pass a limit (README, docs/operations.md): nothing for requests while storage answers, since every admitted
/// request was reserved within the limit by an ETag-guarded exchange; for tokens, what requests used beyond their
/// estimate. Allowances unused on idle instances go back after one <c>FlushInterval</c>; those of a dead instance
/// when its lease (<c>RateLimitLeaseDuration</c>) expires. While storage is out, <c>RateLimitsWithoutStorage</c>
/// decides: serve on a local count of the limit ÷ <c>ExpectedInstances</c>, or refuse with 503.
/// </remarks>
public sealed class KeyRateLimiter(LocalAccounts accounts, IOptions<QuotaOptions> options, TimeProvider time)
{
    private readonly QuotaOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, Limits> _limits = new(StringComparer.Ordinal);

    private readonly CurrentWindows _windows = new();

    /// <summary>The key's limits and what is left as this instance knows it, without taking anything or asking storage.</summary>
    public RateLimitState Peek(ApiKey key)
    {
        if (LimitsOf(key) is not { } limits)
        {
            return default;
        }
        var now = time.GetUtcNow();
        var window = _windows.At(BudgetPeriod.Minute, now);
        if (!accounts.TryFind(BudgetScope.Key, key.Id, window.Key, out var account))
        {
            return limits.State(new QuotaAmount(limits.Budget.Amount!.Value, limits.Budget.Tokens ?? 0), window, now);
        }
        lock (account.Gate)
        {
            return limits.State(Left(account, limits), window, now);
        }
    }

    /// <summary>
    /// Takes one request and <paramref name="estimatedTokens"/> tokens from the key's current minute, or neither. Returns the
    /// refusal (429 with Retry-After when a limit is reached, 503 when the shared account is out and the setting says
    /// refuse) or null with the reservation to settle when the request ends; and the state for the headers.
    /// </summary>
    public ValueTask<RateLimitResult> AcquireAsync(ApiKey key, long estimatedTokens, CancellationToken cancellationToken)
    {
        if (LimitsOf(key) is not { } limits)
        {
            return ValueTask.FromResult(default(RateLimitResult));
        }
        var now = time.GetUtcNow();
        var window = _windows.At(BudgetPeriod.Minute, now);
        var want = new QuotaAmount(1, estimatedTokens);
        var budget = limits.Budget;
        while (true)
        {
            var account = accounts.For(BudgetScope.Key, key.Id, window);
            lock (account.Gate)
            {
                if (account.Retired)
                {
                    continue;
                }
                if (!ReferenceEquals(account.Budget, budget))
                {
                    // New limits (an admin changed them): the last refusal was under the old ones.
                    account.Budget = budget;
                    account.RefuseUntil = default;
                }
                account.LastUsed = now;
                if (budget.Tokens is { } tokenLimit && estimatedTokens > tokenLimit)
                {
                    return ValueTask.FromResult(new RateLimitResult(ApiErrors.RateLimited(
                        $"Request too large: it may use {estimatedTokens} tokens (prompt and the most output it asks for) and this key allows {tokenLimit} tokens per minute. Ask for less output with max_completion_tokens.",
                        retryAfterSeconds: null), limits.State(Left(account, limits), window, now), default));
                }
                // In memory only while the lease is surely alive: an expired one may have been given back by another instance.
                if (!account.IoBusy && now < account.LeaseValidUntil && account.FitsFree(want, budget))
                {
                    account.Reserved += want;
                    return ValueTask.FromResult(new RateLimitResult(null, limits.State(Left(account, limits), window, now), new RateLimitReservation(account, want)));
                }
                if (now < account.RefuseUntil && !account.FitsRoom(want, budget))
                {
                    // Refused a moment ago and still no room: refuse again without asking storage (a client retrying in a
                    // loop must not turn into a storage round trip per retry). Room freed elsewhere counts within FlushInterval.
                    return ValueTask.FromResult(new RateLimitResult(Refusal(account, limits, want, window, now), limits.State(Left(account, limits), window, now), default));
                }
                if (now < account.UnreachableUntil)
                {
                    return ValueTask.FromResult(Fallback(account, limits, want, window, now));
                }
            }
            return AcquireSharedAsync(key, account, limits, want, window, cancellationToken);
        }
    }

    private async ValueTask<RateLimitResult> AcquireSharedAsync(ApiKey key, LocalAccount account, Limits limits, QuotaAmount want, BudgetWindow window, CancellationToken cancellationToken) =>
        await ReserveSharedAsync(account, limits, want, window, cancellationToken).ConfigureAwait(false)
        // Forgotten while this request waited (its minute ended): the next minute decides.
        ?? await AcquireAsync(key, want.Tokens, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// The allowance cannot cover the request: exchange with the shared minute, one exchange per account at a time. Null
    /// when the account was retired meanwhile.
    /// </summary>
    private async ValueTask<RateLimitResult?> ReserveSharedAsync(LocalAccount account, Limits limits, QuotaAmount want, BudgetWindow window, CancellationToken cancellationToken)
    {
        var budget = limits.Budget;
        await account.Io.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            BudgetMath.Local local;
            lock (account.Gate)
            {
                var now = time.GetUtcNow();
                if (account.Retired)
                {
                    return null;
                }
                if (now < account.LeaseValidUntil && account.FitsFree(want, budget))
                {
                    // Another request refilled the allowance while this one waited.
                    account.Reserved += want;
                    return new RateLimitResult(null, limits.State(Left(account, limits), window, now), new RateLimitReservation(account, want));
                }
                if (now < account.UnreachableUntil)
                {
                    return Fallback(account, limits, want, window, now);
                }
                account.IoBusy = true;
                local = new BudgetMath.Local(account.Settled, account.Reserved, want, Reserve: true, ReleaseFree: false);
            }
            QuotaDecision decision;
            try
            {
                decision = await accounts.ExchangeAsync(account, budget, local).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // Storage out, refusing, or too slow (the exchange has its own deadline). Logged once per streak.
                accounts.Unreachable(BudgetScope.Key, e);
                lock (account.Gate)
                {
                    var now = time.GetUtcNow();
                    account.UnreachableUntil = now + _options.FlushInterval;
                    return Fallback(account, limits, want, window, now);
                }
            }
            lock (account.Gate)
            {
                var now = time.GetUtcNow();
                if (decision.Result.Admitted)
                {
                    account.Reserved += want;
                    return new RateLimitResult(null, limits.State(Left(account, limits), window, now), new RateLimitReservation(account, want));
                }
                account.RefuseUntil = now + _options.FlushInterval;
                return new RateLimitResult(Refusal(account, limits, want, window, now), limits.State(Left(account, limits), window, now), default);
            }
        }
        finally
        {
            lock (account.Gate)
            {
                account.IoBusy = false;
            }
            account.Io.Release();
        }
    }

    /// <summary>
    /// The shared account cannot be reached: refuse with 503, or admit on this instance's own count of the minute, at
    /// most the limit ÷ <c>ExpectedInstances</c> (rounded up). Under the account's gate.
    /// </summary>
    private RateLimitResult Fallback(LocalAccount account, Limits limits, QuotaAmount want, BudgetWindow window, DateTimeOffset now)
    {
        if (_options.RateLimitsWithoutStorage == RateLimitFallback.Refuse)
        {
            return new RateLimitResult(ApiErrors.RateLimitsUnavailable, limits.State(Left(account, limits), window, now), default);
        }
        var cap = limits.FallbackCap(_options.ExpectedInstances);
        var taken = account.Fallback + want;
        if (taken.Money > cap.Money || (limits.Budget.Tokens is not null && taken.Tokens > cap.Tokens))
        {
            var left = cap - account.Fallback;
            return new RateLimitResult(Refusal(limits, want, left, window, now), limits.State(left, window, now), default);
        }
        account.Fallback = taken;
        account.Reserved += want;
        return new RateLimitResult(null, limits.State(cap - account.Fallback, window, now), new RateLimitReservation(account, want));
    }

    /// <summary>Settles a request's reservation: its request stays taken, its token estimate becomes what it used.</summary>
    public void Settle(ref RateLimitReservation reservation, long usedTokens)
    {
        if (reservation.Account is not { } account)
        {
            return;
        }
        lock (account.Gate)
        {
            account.Reserved -= reservation.Amount;
            account.Settled += new QuotaAmount(reservation.Amount.Money, Math.Max(0, usedTokens));
        }
        reservation = default;
    }

    /// <summary>
    /// What is left of the key's minute as this instance sees it: the most it could hold at its last exchange (the limit
    /// less what was reported spent and what the other instances hold) less what its own requests took since. Under the gate.
    /// </summary>
    private static QuotaAmount Left(LocalAccount account, Limits limits)
    {
        if (!account.Exchanged)
        {
            var full = new QuotaAmount(limits.Budget.Amount!.Value, limits.Budget.Tokens ?? 0);
            return full - account.Reserved - account.Unreported;
        }
        return account.Room - account.Reserved - account.Unreported;
    }

    private ApiError Refusal(LocalAccount account, Limits limits, QuotaAmount want, BudgetWindow window, DateTimeOffset now) =>
        Refusal(limits, want, Left(account, limits), window, now);

    /// <summary>The 429: which limit, and how long until the next minute, when the key's whole limit is there again.</summary>
    private static ApiError Refusal(Limits limits, QuotaAmount want, QuotaAmount left, BudgetWindow window, DateTimeOffset now)
    {
        var wait = window.End!.Value - now;
        var tokensShort = limits.Budget.Tokens is not null && left.Money >= want.Money;
        var which = tokensShort
            ? $"tokens per minute (limit {limits.Budget.Tokens}, this request may use {want.Tokens})"
            : $"requests per minute (limit {limits.Budget.Amount})";
        return ApiErrors.RateLimited($"Rate limit reached for {which} on this key. Try again in {RateLimitHeaders.Duration(wait)}.",
            (int)Math.Ceiling(wait.TotalSeconds)) with { RetryAfterMilliseconds = (long)Math.Ceiling(wait.TotalMilliseconds) };
    }


    /// <summary>The key's limits as an account's budget, made once per key (and again when an admin changes them).</summary>
    private Limits? LimitsOf(ApiKey key)
    {
        if (key.RequestsPerMinute is null && key.TokensPerMinute is null)
        {
            return null;
        }
        if (_limits.TryGetValue(key.Id, out var known) && known.Matches(key))
        {
            return known;
        }
        var fresh = new Limits(key);
        if (_limits.Count < MaxKnownKeys || _limits.ContainsKey(key.Id))
        {
            _limits[key.Id] = fresh;
        }
        return fresh;
    }

    /// <summary>Past this many limited keys, limits are made per request rather than kept (a bound on what keys can grow).</summary>
    private const int MaxKnownKeys = 100_000;

    private sealed class Limits
    {
        public Limits(ApiKey key)
        {
            RequestLimit = key.RequestsPerMinute;
            TokenLimit = key.TokensPerMinute;
            // A key with only a token limit counts requests too, against a limit that never binds.
            Budget = new Budget { Amount = RequestLimit ?? Budget.MaxLimit, Tokens = TokenLimit, Period = BudgetPeriod.Minute, Mode = BudgetMode.Hard };
            _requestText = RequestLimit?.ToString(CultureInfo.InvariantCulture);
            _tokenText = TokenLimit?.ToString(CultureInfo.InvariantCulture);
        }

        public long? RequestLimit { get; }
        public long? TokenLimit { get; }
        public Budget Budget { get; }

        private readonly string? _requestText;
        private readonly string? _tokenText;

        public bool Matches(ApiKey key) => key.RequestsPerMinute == RequestLimit && key.TokensPerMinute == TokenLimit;

        /// <summary>What one instance admits per minute while the shared account is out: the limit ÷ instances, rounded up.</summary>
        public QuotaAmount FallbackCap(int instances) => new(
            Math.Ceiling(Budget.Amount!.Value / instances),
            TokenLimit is { } tokens ? (tokens + instances - 1) / instances : long.MaxValue);

        public RateLimitState State(QuotaAmount left, BudgetWindow window, DateTimeOffset now)
        {
            var reset = window.End!.Value - now;
            return new RateLimitState(
                RequestLimit, RequestLimit is { } r ? (long)Math.Clamp(Math.Floor(left.Money), 0, r) : 0, reset,
                TokenLimit, TokenLimit is { } t ? Math.Clamp(left.Tokens, 0, t) : 0, reset)
            {
                RequestLimitText = _requestText,
                TokenLimitText = _tokenText,
            };
        }
    }
}

/// <summary>What <see cref="KeyRateLimiter.AcquireAsync"/> decided: the refusal or null, the state for the headers, and what to settle.</summary>
public readonly record struct RateLimitResult(ApiError? Error, RateLimitState State, RateLimitReservation Reservation);

/// <summary>One request's hold on its key's rate-limit minute: one request and its token estimate, settled when it ends.</summary>
public readonly struct RateLimitReservation
{
    internal RateLimitReservation(LocalAccount account, QuotaAmount amount)
    {
        Account = account;
        Amount = amount;
    }

    internal LocalAccount? Account { get; }

    internal QuotaAmount Amount { get; }

    /// <summary>Nothing to settle.</summary>
    public bool IsEmpty => Account is null;
}
