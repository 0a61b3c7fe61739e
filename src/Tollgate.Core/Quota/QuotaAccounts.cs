using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Diagnostics;
using Tollgate.Errors;
using Tollgate.Keys;
using Tollgate.Pricing;
using Tollgate.Storage;

namespace Tollgate.Quota;

/// <summary>
/// Enforces key and owner budgets across instances. Each instance keeps, per budget window, a local allowance
/// taken from the shared account (<see cref="IQuotaStore"/>) and a lease that says how much it holds. A request
/// reserves its worst case from the allowance in memory; only when the allowance cannot cover it does the
/// instance go to the shared account (one ETag-guarded exchange, <see cref="BudgetMath"/>), which near the limit is
/// once per request. Finished requests settle to their real cost locally; every <c>FlushInterval</c> the
/// instance reports what was spent and renews its leases. Leases of instances that died are released by
/// <see cref="ReleaseExpiredLeasesAsync"/> (the aggregation timer).
/// </summary>
public sealed partial class QuotaAccounts(
    IQuotaStore store,
    OwnerBudgets owners,
    IOptions<QuotaOptions> options,
    IOptions<PricingOptions> pricing,
    TimeProvider time,
    ILogger<QuotaAccounts> logger,
    TollgateMetrics metrics) : BackgroundService
{
    private readonly QuotaOptions _options = options.Value;
    private readonly FailureStreak _unreachable = new();
    private readonly string _currency = pricing.Value.Currency;
    private readonly ConcurrentDictionary<QuotaAccountId, LocalAccount> _accounts = new();

    // The hot path finds its local account without building an id: by scope, subject and window key.
    private readonly ConcurrentDictionary<(BudgetScope, string, string), LocalAccount> _byName = new();

    // The current window of each period, made once per window rather than once per request.
    private readonly WindowBox?[] _windows = new WindowBox?[4];

    /// <summary>This instance's name on its leases.</summary>
    public string Instance { get; } = Guid.NewGuid().ToString("N");

    /// <summary>The key's budget and its owner's, when either has one (cheap: no I/O).</summary>
    public (Budget? Key, Budget? Owner) BudgetsOf(ApiKey key) =>
        (key.Budget is { IsSet: true } own ? own : null, key.Owner.Length > 0 ? owners.For(key.Owner) : null);

    /// <summary>Stored owner budgets could be read (else budgets refuse with 503 rather than guess).</summary>
    public bool OwnerBudgetsLoaded => owners.Loaded;

    /// <summary>
    /// Reserves <paramref name="worstCase"/> against the key's budget and then its owner's. Returns the refusal (402 when a
    /// hard budget has no room, 503 when the shared account cannot be reached for a hard one) with nothing reserved, or
    /// null with <paramref name="hold"/> to settle when the request ends.
    /// </summary>
    public async ValueTask<ApiError?> ReserveAsync(ApiKey key, Budget? keyBudget, Budget? ownerBudget, QuotaAmount worstCase, BudgetHold hold, CancellationToken cancellationToken)
    {
        if (keyBudget is not null)
        {
            var (reservation, refusal) = await ReserveAsync(BudgetScope.Key, key.Id, keyBudget, worstCase, cancellationToken).ConfigureAwait(false);
            if (refusal is not null)
            {
                return refusal;
            }
            hold.KeyReservation = reservation;
        }
        if (ownerBudget is not null)
        {
            (Reservation?, ApiError?) owner;
            try
            {
                owner = await ReserveAsync(BudgetScope.Owner, key.Owner, ownerBudget, worstCase, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Aborted (or failed) between the two: the key's reservation must not outlive the request.
                Settle(hold, QuotaAmount.Zero);
                throw;
            }
            if (owner.Item2 is { } refusal)
            {
                Settle(hold, QuotaAmount.Zero);
                return refusal;
            }
            hold.OwnerReservation = owner.Item1;
        }
        hold.OverScopes = (hold.KeyReservation?.Over, hold.OwnerReservation?.Over) switch
        {
            (true, true) => "key, owner",
            (true, _) => "key",
            (_, true) => "owner",
            _ => null,
        };
        return null;
    }

    /// <summary>Settles a request's reservations to what it really cost (zero for one that never reached a model).</summary>
    public void Settle(BudgetHold hold, QuotaAmount actual)
    {
        foreach (var reservation in (ReadOnlySpan<Reservation?>)[hold.KeyReservation, hold.OwnerReservation])
        {
            if (reservation is { } r)
            {
                lock (r.Account.Gate)
                {
                    r.Account.Reserved -= r.Amount;
                    r.Account.Settled += actual;
                }
            }
        }
        hold.KeyReservation = null;
        hold.OwnerReservation = null;
    }

    /// <summary>The shared account of a key's or owner's budget in the window that contains now, as stored (null when never used).</summary>
    public Task<AccountState?> ReadAsync(BudgetScope scope, string subject, Budget budget, CancellationToken cancellationToken) =>
        store.ReadAsync(new QuotaAccountId(scope, subject, BudgetWindow.Of(budget.Period, time.GetUtcNow())), cancellationToken);

    /// <summary>
    /// A budget's current window and its account as this instance knows it: the stored account, with what requests
    /// finished here but not yet reported counted as spent rather than held. Other instances' unreported spending
    /// shows within their <c>FlushInterval</c>.
    /// </summary>
    public async Task<(BudgetWindow Window, AccountState Account)> DescribeAsync(BudgetScope scope, string subject, Budget budget, CancellationToken cancellationToken)
    {
        var id = new QuotaAccountId(scope, subject, BudgetWindow.Of(budget.Period, time.GetUtcNow()));
        var account = await store.ReadAsync(id, cancellationToken).ConfigureAwait(false) ?? AccountState.Empty;
        if (_accounts.TryGetValue(id, out var local))
        {
            lock (local.Gate)
            {
                var unreported = local.Unreported;
                account = account with { Spent = account.Spent + unreported, Held = QuotaAmount.Max(QuotaAmount.Zero, account.Held - unreported) };
            }
        }
        return (id.Window, account);
    }

    /// <summary>Gives back what the leases of dead (or stalled) instances held; returns how many were released.</summary>
    public async Task<int> ReleaseExpiredLeasesAsync(CancellationToken cancellationToken)
    {
        var released = await store.ReleaseExpiredLeasesAsync(time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (released > 0)
        {
            LogLeasesReleased(logger, released);
        }
        return released;
    }

    private async ValueTask<(Reservation?, ApiError?)> ReserveAsync(BudgetScope scope, string subject, Budget budget, QuotaAmount want, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var window = WindowAt(budget.Period, now);
        while (true)
        {
            var account = LocalAccountFor(scope, subject, window);
            lock (account.Gate)
            {
                if (account.Retired)
                {
                    continue;
                }
                account.Budget = budget;
                account.LastUsed = now;
                // In memory only while the lease is surely alive: an instance that could not renew it may have had it
                // released, and then what it holds is no longer counted in the shared account.
                if (!account.IoBusy && now < account.LeaseValidUntil
                    && (account.FitsFree(want, budget) || (budget.Mode == BudgetMode.Soft && account.KnownOver)))
                {
                    account.Reserved += want;
                    return (Served(account, budget, want, account.KnownOver && budget.Mode == BudgetMode.Soft), null);
                }
                if (budget.Mode == BudgetMode.Hard && now < account.RefuseUntil && !account.FitsRoom(want, budget))
                {
                    // Refused a moment ago and still no room: refuse again without asking storage (a client retrying
                    // in a loop must not turn into a storage round trip per retry). Room freed elsewhere counts within FlushInterval.
                    metrics.BudgetExceeded(scope, budget.Mode, served: false);
                    return (null, Refusal(account.Id, budget, account.Room - account.Reserved, want, account.FitsRoomMoney(want, budget)));
                }
            }
            if (await ReserveSharedAsync(account, budget, want, cancellationToken).ConfigureAwait(false) is { } done)
            {
                return done;
            }
            // The account was given back and forgotten while this request waited: start again with a fresh one.
        }
    }

    /// <summary>
    /// The allowance cannot cover the request: exchange with the shared account, one exchange per account at a time.
    /// Null when the account was retired meanwhile (the caller starts again).
    /// </summary>
    private async ValueTask<(Reservation?, ApiError?)?> ReserveSharedAsync(LocalAccount account, Budget budget, QuotaAmount want, CancellationToken cancellationToken)
    {
        await account.Io.WaitAsync(cancellationToken).ConfigureAwait(false);
        BudgetMath.Local local;
        try
        {
            lock (account.Gate)
            {
                if (account.Retired)
                {
                    return null;
                }
                if (time.GetUtcNow() < account.LeaseValidUntil && account.FitsFree(want, budget))
                {
                    // Another request refilled the allowance while this one waited.
                    account.Reserved += want;
                    return (Served(account, budget, want, over: false), null);
                }
                account.IoBusy = true;
                local = new BudgetMath.Local(account.Settled, account.Reserved, want, Reserve: true, ReleaseFree: false);
            }
            QuotaDecision decision;
            try
            {
                decision = await ExchangeAsync(account, budget, local).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // Storage out, refusing, or too slow (the exchange has its own deadline, not the request's, so that a write
                // that landed is always applied here too).
                Unreachable(account.Id.Scope, e);
                if (budget.Mode == BudgetMode.Soft)
                {
                    lock (account.Gate)
                    {
                        account.Reserved += want;
                    }
                    return (Served(account, budget, want, over: false), null);
                }
                return (null, ApiErrors.QuotaUnavailable);
            }
            var outcome = decision.Result;
            if (outcome.FirstUsedUp)
            {
                LogBudgetReached(logger, account.Id.Scope, LogValue.Safe(account.Id.Subject), account.Id.Window.Key, Budget.Name(budget.Mode));
            }
            QuotaAmount left;
            lock (account.Gate)
            {
                if (outcome.Admitted)
                {
                    account.Reserved += want;
                }
                else
                {
                    account.RefuseUntil = time.GetUtcNow() + _options.FlushInterval;
                }
                left = account.Room - account.Reserved;
            }
            if (!outcome.Admitted)
            {
                if (!outcome.UsedUp)
                {
                    // Truthfully not "used up": something is left, only less than this request's worst case.
                    LogRequestLargerThanLeft(logger, account.Id.Scope, LogValue.Safe(account.Id.Subject), account.Id.Window.Key,
                        outcome.TokensShort ? "tokens" : "money", outcome.TokensShort ? want.Tokens : want.Money, outcome.TokensShort ? Math.Max(0, left.Tokens) : Math.Max(0, left.Money));
                }
                metrics.BudgetExceeded(account.Id.Scope, budget.Mode, served: false);
                return (null, Refusal(account.Id, budget, left, want, outcome.TokensShort));
            }
            return (Served(account, budget, want, outcome.Over), null);
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
    /// One exchange with the shared account; applies its result to the local figures. It runs to the end on its own
    /// deadline whatever happens to the request that started it: a write that landed must be reflected here.
    /// </summary>
    private async Task<QuotaDecision> ExchangeAsync(LocalAccount account, Budget budget, BudgetMath.Local local)
    {
        var now = time.GetUtcNow();
        var share = _options.AllowanceShare;
        using var deadline = new CancellationTokenSource(ExchangeTimeout, time);
        var decision = await store.ExchangeAsync(account.Id, Instance, now + _options.LeaseDuration,
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
            account.RenewAt = now + _options.LeaseDuration / 3;
            account.LeaseValidUntil = now + _options.LeaseDuration * 2 / 3;
            // The most this instance could hold as of this exchange: the limit less what was spent and what the others hold.
            account.Room = new QuotaAmount(
                (budget.Amount ?? decimal.MaxValue / 2) - decision.Account.Spent.Money - (decision.Account.Held.Money - decision.Lease.Held.Money),
                (budget.Tokens ?? long.MaxValue / 2) - decision.Account.Spent.Tokens - (decision.Account.Held.Tokens - decision.Lease.Held.Tokens));
        }
        return decision;
    }

    /// <summary>How long one exchange may take, retries included, before the request is answered without it.</summary>
    private static readonly TimeSpan ExchangeTimeout = TimeSpan.FromSeconds(10);

    private BudgetWindow WindowAt(BudgetPeriod period, DateTimeOffset now)
    {
        var index = (int)period;
        if (_windows[index] is { } box && now >= box.Window.Start && !box.Window.HasEnded(now))
        {
            return box.Window;
        }
        var window = BudgetWindow.Of(period, now);
        _windows[index] = new WindowBox(window);
        return window;
    }

    private LocalAccount LocalAccountFor(BudgetScope scope, string subject, BudgetWindow window)
    {
        if (_byName.TryGetValue((scope, subject, window.Key), out var known) && !known.Retired)
        {
            return known;
        }
        var id = new QuotaAccountId(scope, subject, window);
        var account = _accounts.GetOrAdd(id, static id => new LocalAccount(id));
        _byName[(scope, subject, window.Key)] = account;
        return account;
    }

    private sealed record WindowBox(BudgetWindow Window);

    private Reservation Served(LocalAccount account, Budget budget, QuotaAmount want, bool over)
    {
        if (over)
        {
            metrics.BudgetExceeded(account.Id.Scope, budget.Mode, served: true);
        }
        return new Reservation(account, want, over);
    }

    /// <summary>The 402 for a hard budget without room: whose budget, its period and limit, what is left (<paramref name="room"/>), and when it resets.</summary>
    private ApiError Refusal(QuotaAccountId id, Budget budget, QuotaAmount room, QuotaAmount want, bool tokensShort)
    {
        var whose = id.Scope == BudgetScope.Key ? "This key's" : $"The budget of owner '{ApiErrors.Truncate(id.Subject, 64)}' (all its keys):";
        var period = budget.Period switch
        {
            BudgetPeriod.Day => "daily",
            BudgetPeriod.Week => "weekly",
            BudgetPeriod.Credit => "credit",
            _ => "monthly",
        };
        var detail = tokensShort
            ? string.Create(CultureInfo.InvariantCulture, $"{period} budget of {budget.Tokens} tokens has {Math.Max(0, room.Tokens)} left, and this request may use up to {want.Tokens}")
            : string.Create(CultureInfo.InvariantCulture, $"{period} budget of {Money(budget.Amount ?? 0)} {_currency} has {Money(Math.Max(0, room.Money))} {_currency} left, and this request may cost up to {Money(want.Money)} {_currency}");
        var reset = id.Window.End is null ? "It is a credit that does not reset." : $"It {id.Window.ResetText}.";
        return ApiErrors.InsufficientQuota($"{whose} {detail}. {reset} Ask for less output with max_completion_tokens, or ask the gateway's administrator to raise the budget.");
    }

    private static string Money(decimal value) => Math.Round(value, 6, MidpointRounding.AwayFromZero).ToString("0.00####", CultureInfo.InvariantCulture);

    /// <summary>An exchange with a shared account failed: logged at Warning once per streak of failures, then at Debug.</summary>
    private void Unreachable(BudgetScope scope, Exception e)
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

    /// <summary>
    /// Reports spending and renews leases every <c>FlushInterval</c>; on stop, reports and gives back every unused allowance.
    /// Nothing but the host stopping ends the loop: a flush that fails is logged and the next tick tries again.
    /// </summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.FlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await FlushAsync(final: false, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    // FlushAsync handles storage failures per account; whatever else escapes must not end the loop.
                    Unreachable(BudgetScope.Key, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: StopAsync flushes once more.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        // Not the host's token: by now it may have run out while requests drained, and this is the last chance to report.
        await FlushAsync(final: true, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Reports what finished requests spent, renews leases, and gives back allowances that sat idle, belong to a window
    /// that ended, or (<paramref name="final"/>) all of them. Accounts left holding nothing are forgotten. An account
    /// that cannot be reached is logged and tried again at the next flush; nothing here throws.
    /// </summary>
    public Task FlushAsync(bool final, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(_accounts.Values, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            (account, _) => FlushAsync(account, final));

    private async ValueTask FlushAsync(LocalAccount account, bool final)
    {
        if (!account.Io.Wait(0, CancellationToken.None))
        {
            return; // A request is exchanging with this account right now; it reports too.
        }
        try
        {
            BudgetMath.Local local;
            Budget budget;
            bool release;
            var now = time.GetUtcNow();
            lock (account.Gate)
            {
                release = final || account.Id.Window.HasEnded(now) || now - account.LastUsed >= _options.IdleRelease;
                var due = final || account.Unreported != QuotaAmount.Zero || (!account.Held.IsZero && now >= account.RenewAt)
                    || (release && account.Held != account.Reserved);
                if (account.Budget is null || !due)
                {
                    if (release && account.IsEmpty)
                    {
                        Retire(account);
                    }
                    return;
                }
                budget = account.Budget;
                // Giving the allowance back changes what requests may take from it: they wait for the answer. A plain
                // report keeps it, so requests go on taking from it meanwhile.
                account.IoBusy = release;
                local = new BudgetMath.Local(account.Settled, account.Reserved, QuotaAmount.Zero, Reserve: false, ReleaseFree: release);
            }
            try
            {
                var decision = await ExchangeAsync(account, budget, local).ConfigureAwait(false);
                if (decision.Result.FirstUsedUp)
                {
                    LogBudgetReached(logger, account.Id.Scope, LogValue.Safe(account.Id.Subject), account.Id.Window.Key, Budget.Name(budget.Mode));
                }
            }
            catch (Exception e)
            {
                // Keep the figures; the next flush reports them. The lease lasts LeaseDuration meanwhile.
                Unreachable(account.Id.Scope, e);
            }
            lock (account.Gate)
            {
                account.IoBusy = false;
                var after = time.GetUtcNow();
                if (release && account.IsEmpty && (final || account.Id.Window.HasEnded(after) || after - account.LastUsed >= _options.IdleRelease))
                {
                    Retire(account);
                }
            }
        }
        finally
        {
            account.Io.Release();
        }
    }

    /// <summary>Forgets an account that holds nothing (under its gate): a request that still finds it gets a fresh one.</summary>
    private void Retire(LocalAccount account)
    {
        account.Retired = true;
        _accounts.TryRemove(account.Id, out _);
        _byName.TryRemove(new KeyValuePair<(BudgetScope, string, string), LocalAccount>((account.Id.Scope, account.Id.Subject, account.Id.Window.Key), account));
    }

    /// <summary>One request's reservation against one account.</summary>
    internal sealed record Reservation(LocalAccount Account, QuotaAmount Amount, bool Over);

    /// <summary>This instance's side of one shared account. Figures change under <see cref="Gate"/>; exchanges one at a time under <see cref="Io"/>.</summary>
    internal sealed class LocalAccount(QuotaAccountId id)
    {
        public Lock Gate { get; } = new();
        public SemaphoreSlim Io { get; } = new(1, 1);
        public QuotaAccountId Id { get; } = id;
        public Budget? Budget { get; set; }

        /// <summary>An exchange is under way: its figures are about to change, so requests wait for it.</summary>
        public bool IoBusy { get; set; }

        /// <summary>What this instance's lease holds in the shared account.</summary>
        public QuotaAmount Held { get; set; }

        /// <summary>Reserved by requests in flight.</summary>
        public QuotaAmount Reserved { get; set; }

        /// <summary>What finished requests here cost in all, since the account was first used on this instance.</summary>
        public QuotaAmount Settled { get; set; }

        /// <summary>How much of <see cref="Settled"/> the shared account has (the lease's report total at the last exchange).</summary>
        public QuotaAmount Confirmed { get; set; }

        /// <summary>Spent by finished requests, not yet reported (part of <see cref="Held"/>).</summary>
        public QuotaAmount Unreported => Settled - Confirmed;

        /// <summary>Holds nothing, has nothing in flight and nothing to report.</summary>
        public bool IsEmpty => Held.IsZero && Reserved.IsZero && Settled == Confirmed;

        /// <summary>Until then the lease is surely alive (renewed well before it expires), so the allowance may be used in memory.</summary>
        public DateTimeOffset LeaseValidUntil { get; set; }

        public DateTimeOffset LastUsed { get; set; }
        public DateTimeOffset RenewAt { get; set; }

        /// <summary>The last exchange found the budget over its limit (a soft budget then serves without asking again).</summary>
        public bool KnownOver { get; set; }

        /// <summary>Forgotten by the instance: a request that finds it gets a fresh one.</summary>
        public bool Retired { get; set; }

        /// <summary>A hard budget refused a request: until then, requests the last known room cannot cover are refused without asking storage.</summary>
        public DateTimeOffset RefuseUntil { get; set; }

        /// <summary>The most this instance could hold as of the last exchange: the limit less what was spent and what other instances hold.</summary>
        public QuotaAmount Room { get; set; }

        /// <summary>The last known room covers the requests in flight and <paramref name="want"/> in every part the budget limits.</summary>
        public bool FitsRoom(QuotaAmount want, Budget budget) => FitsRoomMoney(want, budget) && (budget.Tokens is null || Reserved.Tokens + want.Tokens <= Room.Tokens);

        /// <summary>The last known room covers the money part (so a refusal is for tokens).</summary>
        public bool FitsRoomMoney(QuotaAmount want, Budget budget) => budget.Amount is null || Reserved.Money + want.Money <= Room.Money;

        /// <summary>The unused allowance covers <paramref name="want"/> in every part the budget limits.</summary>
        public bool FitsFree(QuotaAmount want, Budget budget)
        {
            var free = Held - Reserved - Unreported;
            return (budget.Amount is null || free.Money >= want.Money) && (budget.Tokens is null || free.Tokens >= want.Tokens);
        }
    }

    [LoggerMessage(EventId = 5000, Level = LogLevel.Warning, Message = "The {Scope} budget of {Subject} is used up for {Window} ({Mode}): what was spent reached its limit; logged once per window")]
    private static partial void LogBudgetReached(ILogger logger, BudgetScope scope, string subject, string window, string mode);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information,
        Message = "The {Scope} budget of {Subject} for {Window} refused a request that may use up to {Want} ({Part}): more than the {Left} left; the budget is not used up and smaller requests are still served")]
    private static partial void LogRequestLargerThanLeft(ILogger logger, BudgetScope scope, string subject, string window, string part, decimal want, decimal left);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning,
        Message = "A {Scope} budget account could not be reached ({Error}); hard budgets refuse with 503 and soft ones serve until it can, logged once until an exchange succeeds")]
    private static partial void LogAccountUnreachable(ILogger logger, BudgetScope scope, string error);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Debug, Message = "A {Scope} budget account could not be reached again ({Error}), {Failures} failures in a row")]
    private static partial void LogAccountUnreachableAgain(ILogger logger, BudgetScope scope, string error, int failures);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Information, Message = "Budget accounts are reachable again after {Failures} failed exchanges")]
    private static partial void LogAccountsReachable(ILogger logger, int failures);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Released {Count} budget leases of instances that stopped renewing them")]
    private static partial void LogLeasesReleased(ILogger logger, int count);
}
