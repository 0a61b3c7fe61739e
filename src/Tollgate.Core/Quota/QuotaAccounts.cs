using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Diagnostics;
using Tollgate.Errors;
using Tollgate.Keys;
using Tollgate.Pricing;

namespace Tollgate.Quota;

/// <summary>
/// Enforces key and owner budgets across instances, on the request path. Each instance keeps, per budget window, a
/// local allowance taken from the shared account (<see cref="IQuotaStore"/>) and a lease that says how much it holds
/// (<see cref="LocalAccounts"/>). A request reserves its worst case from the allowance in memory; only when the
/// allowance cannot cover it does the instance go to the shared account (one ETag-guarded exchange,
/// <see cref="BudgetMath"/>), which near the limit is once per request. Finished requests settle to their real cost
/// locally; every <c>FlushInterval</c> <see cref="QuotaFlusher"/> reports what was spent and renews the leases. Leases
/// of instances that died are released by <see cref="LeaseReleaser"/> (the aggregation timer).
/// </summary>
public sealed partial class QuotaAccounts(
    LocalAccounts accounts,
    OwnerBudgets owners,
    IOptions<QuotaOptions> options,
    IOptions<PricingOptions> pricing,
    TimeProvider time,
    ILogger<QuotaAccounts> logger,
    TollgateMetrics metrics)
{
    private readonly QuotaOptions _options = options.Value;
    private readonly string _currency = pricing.Value.Currency;

    private readonly CurrentWindows _windows = new();

    /// <summary>The key's budget and its owner's, when either has one (cheap: no I/O).</summary>
    public (Budget? Key, Budget? Owner) BudgetsOf(ApiKey key) => owners.BudgetsOf(key);

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

    private async ValueTask<(Reservation?, ApiError?)> ReserveAsync(BudgetScope scope, string subject, Budget budget, QuotaAmount want, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var window = _windows.At(budget.Period, now);
        while (true)
        {
            var account = accounts.For(scope, subject, window);
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
                decision = await accounts.ExchangeAsync(account, budget, local).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // Storage out, refusing, or too slow (the exchange has its own deadline, not the request's, so that a write
                // that landed is always applied here too).
                accounts.Unreachable(account.Id.Scope, e);
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

    [LoggerMessage(EventId = 5005, Level = LogLevel.Information,
        Message = "The {Scope} budget of {Subject} for {Window} refused a request that may use up to {Want} ({Part}): more than the {Left} left; the budget is not used up and smaller requests are still served")]
    private static partial void LogRequestLargerThanLeft(ILogger logger, BudgetScope scope, string subject, string window, string part, decimal want, decimal left);
}
