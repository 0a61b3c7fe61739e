using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Diagnostics;
using Tollgate.Keys;
using Tollgate.Storage;

namespace Tollgate.Quota;

/// <summary>
/// This instance's side of the shared budget accounts, the one state that <see cref="QuotaAccounts"/> (reserve and
/// settle), <see cref="QuotaFlusher"/> (report and renew) and <see cref="BudgetReader"/> (describe) share: its local
/// account per budget window, its name on its leases, and the exchange with the shared account (<see cref="IQuotaStore"/>)
/// that applies the store's answer to the local figures.
/// </summary>
public sealed partial class LocalAccounts(IQuotaStore store, IOptions<QuotaOptions> options, TimeProvider time, ILogger<LocalAccounts> logger)
{
    /// <summary>How long one exchange may take, retries included, before the request is answered without it.</summary>
    private static readonly TimeSpan ExchangeTimeout = TimeSpan.FromSeconds(10);

    private readonly QuotaOptions _options = options.Value;
    private readonly FailureStreak _unreachable = new();
    private readonly ConcurrentDictionary<QuotaAccountId, LocalAccount> _accounts = new();

    // What retired accounts had reported in all (their leases' report totals), until their windows end.
    private readonly ConcurrentDictionary<QuotaAccountId, QuotaAmount> _reported = new();

    // The hot path finds its local account without building an id: by scope, subject and window key.
    private readonly ConcurrentDictionary<(BudgetScope, string, string), LocalAccount> _byName = new();

    /// <summary>This instance's name on its leases.</summary>
    public string Instance { get; } = Guid.NewGuid().ToString("N");

    /// <summary>Every account this instance holds or has figures for.</summary>
    internal ICollection<LocalAccount> All => _accounts.Values;

    /// <summary>The account of a budget in a window, made when this instance has none (or only a retired one).</summary>
    internal LocalAccount For(BudgetScope scope, string subject, BudgetWindow window)
    {
        if (_byName.TryGetValue((scope, subject, window.Key), out var known) && !known.Retired)
        {
            return known;
        }
        var id = new QuotaAccountId(scope, subject, window);
        var account = _accounts.GetOrAdd(id, static (id, reported) =>
        {
            // This instance's lease on the account says how much it has reported in all: a retired account's figures
            // carry on, or spending up to that total would count as reported already.
            var fresh = new LocalAccount(id);
            if (reported.TryGetValue(id, out var total))
            {
                fresh.Settled = total;
                fresh.Confirmed = total;
            }
            return fresh;
        }, _reported);
        _byName[(scope, subject, window.Key)] = account;
        return account;
    }

    /// <summary>Forgets the report totals of retired accounts whose windows ended by <paramref name="now"/>.</summary>
    internal void ForgetEnded(DateTimeOffset now)
    {
        foreach (var id in _reported.Keys)
        {
            if (id.Window.HasEnded(now))
            {
                _reported.TryRemove(id, out _);
            }
        }
    }

    /// <summary>The account this instance has for a budget in a window, if any (no account is made).</summary>
    internal bool TryFind(BudgetScope scope, string subject, string windowKey, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LocalAccount? account) =>
        _byName.TryGetValue((scope, subject, windowKey), out account) && !account.Retired;

    /// <summary>The account this instance has for <paramref name="id"/>, if any.</summary>
    internal bool TryGet(QuotaAccountId id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LocalAccount? account) =>
        _accounts.TryGetValue(id, out account);

    /// <summary>Forgets an account that holds nothing (under its gate): a request that still finds it gets a fresh one.</summary>
    internal void Retire(LocalAccount account)
    {
        _reported[account.Id] = account.Confirmed;
        account.Retired = true;
        _accounts.TryRemove(account.Id, out _);
        _byName.TryRemove(new KeyValuePair<(BudgetScope, string, string), LocalAccount>((account.Id.Scope, account.Id.Subject, account.Id.Window.Key), account));
    }

    /// <summary>
    /// One exchange with the shared account; applies its result to the local figures, and logs a budget used up for the
    /// first time in its window. It runs to the end on its own deadline whatever happens to the request that started
    /// it: a write that landed must be reflected here.
    /// </summary>
    internal async Task<QuotaDecision> ExchangeAsync(LocalAccount account, Budget budget, BudgetMath.Local local)
    {
        var now = time.GetUtcNow();
        var share = _options.AllowanceShare;
        var minute = account.Id.Window.Period == BudgetPeriod.Minute;
        var leaseDuration = minute ? _options.RateLimitLeaseDuration : _options.LeaseDuration;
        using var deadline = new CancellationTokenSource(ExchangeTimeout, time);
        var decision = await store.ExchangeAsync(account.Id, Instance, now, now + leaseDuration,
            (state, lease) => BudgetMath.Decide(budget, share, state, lease, local), deadline.Token).ConfigureAwait(false);
        if (_unreachable.Succeed() is > 0 and var failures)
        {
            LogAccountsReachable(logger, failures);
        }
        lock (account.Gate)
        {
            account.Confirmed = QuotaAmount.Max(account.Confirmed, decision.Lease.Reported);
            account.Held = decision.Lease.Held;
            account.KnownOver = decision.Result.Over;
            account.RenewAt = now + leaseDuration / 3;
            account.LeaseValidUntil = now + leaseDuration * 2 / 3;
            account.Exchanged = true;
            // The most this instance could hold as of this exchange: the limit less what was spent and what the others hold.
            account.Room = new QuotaAmount(
                (budget.Amount ?? decimal.MaxValue / 2) - decision.Account.Spent.Money - (decision.Account.Held.Money - decision.Lease.Held.Money),
                (budget.Tokens ?? long.MaxValue / 2) - decision.Account.Spent.Tokens - (decision.Account.Held.Tokens - decision.Lease.Held.Tokens));
        }
        // A rate limit reached is no budget used up: the 429s and the rate-limit metrics say it, once a minute would be noise.
        if (decision.Result.FirstUsedUp && !minute)
        {
            LogBudgetReached(logger, account.Id.Scope, LogValue.Safe(account.Id.Subject), account.Id.Window.Key, Budget.Name(budget.Mode));
        }
        return decision;
    }

    /// <summary>An exchange with a shared account failed: logged at Warning once per streak of failures, then at Debug.</summary>
    internal void Unreachable(BudgetScope scope, Exception e)
    {
        if (_unreachable.Fail())
        {
            LogAccountUnreachable(logger, scope, FailureStreak.Reason(e));
        }
        else
        {
            LogAccountUnreachableAgain(logger, scope, FailureStreak.Reason(e), _unreachable.Count);
        }
    }

    [LoggerMessage(EventId = 5000, Level = LogLevel.Warning, Message = "The {Scope} budget of {Subject} is used up for {Window} ({Mode}): what was spent reached its limit; logged once per window")]
    private static partial void LogBudgetReached(ILogger logger, BudgetScope scope, string subject, string window, string mode);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning,
        Message = "A {Scope} budget account could not be reached ({Error}); hard budgets refuse with 503 and soft ones serve until it can, logged once until an exchange succeeds")]
    private static partial void LogAccountUnreachable(ILogger logger, BudgetScope scope, string error);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Debug, Message = "A {Scope} budget account could not be reached again ({Error}), {Failures} failures in a row")]
    private static partial void LogAccountUnreachableAgain(ILogger logger, BudgetScope scope, string error, int failures);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Information, Message = "Budget accounts are reachable again after {Failures} failed exchanges")]
    private static partial void LogAccountsReachable(ILogger logger, int failures);
}
