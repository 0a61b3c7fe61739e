using Tollgate.Keys;
namespace Tollgate.Quota;

/// <summary>
/// What one instance's exchange with a shared budget account decides, as a pure function of the stored account,
/// the instance's stored lease and its local figures. The instance reports what it spent (moving it from held to
/// spent), then holds what its requests in flight reserved, plus, when reserving, the request's worst case and a
/// share of what is left as an allowance for the next requests. Nothing is ever taken past the limit except what
/// requests really spent beyond their reservation, or what a soft budget lets through.
/// <para>
/// Every figure written is a state, not a change: the lease stores how much the instance has reported in all
/// (<see cref="LeaseState.Reported"/>) and how much it holds. An exchange whose write landed but whose answer was
/// lost, and which is then decided again, therefore reports nothing twice.
/// </para>
/// </summary>
public static class BudgetMath
{
    /// <summary>An instance's side of an exchange.</summary>
    /// <param name="Settled">What the instance's finished requests cost in all, since it first used the account.</param>
    /// <param name="Reserved">Reserved by requests still in flight.</param>
    /// <param name="Want">The worst case of the request to admit; zero for a flush.</param>
    /// <param name="Reserve">Admit a request (else only report and renew).</param>
    /// <param name="ReleaseFree">Give back the unused allowance (idle, window over, or shutting down).</param>
    public readonly record struct Local(QuotaAmount Settled, QuotaAmount Reserved, QuotaAmount Want, bool Reserve, bool ReleaseFree);

    /// <summary>
    /// The outcome: admitted or not; the budget is reached (what was spent and held, with the request when admitting,
    /// does not fit its limit); the budget is used up (what was spent reached its limit in a part it limits, which a
    /// request that merely does not fit in what is left does not make it); used up for the first time in this window
    /// (log it); refused for tokens rather than money.
    /// </summary>
    public readonly record struct Outcome(bool Admitted, bool Over, bool UsedUp, bool FirstUsedUp, bool TokensShort);

    public static QuotaDecision Decide(Budget budget, double allowanceShare, AccountState account, LeaseState lease, Local local)
    {
        var unreported = QuotaAmount.Max(QuotaAmount.Zero, local.Settled - lease.Reported);
        var spent = account.Spent + unreported;
        var others = QuotaAmount.Max(QuotaAmount.Zero, account.Held - lease.Held);
        var need = local.Reserved + (local.Reserve ? local.Want : QuotaAmount.Zero);
        // The most this instance may hold in each limited part, after the others' leases.
        var moneyRoom = budget.Amount is { } amount ? amount - spent.Money - others.Money : decimal.MaxValue;
        var tokenRoom = budget.Tokens is { } tokens ? tokens - spent.Tokens - others.Tokens : long.MaxValue;
        var moneyFits = need.Money <= moneyRoom;
        var tokensFit = need.Tokens <= tokenRoom;
        var fits = moneyFits && tokensFit;

        QuotaAmount held;
        var admitted = false;
        if (local.Reserve && (fits || budget.Mode == BudgetMode.Soft))
        {
            admitted = true;
            // A rate limit's money part counts requests: its allowance is whole requests, so no instance keeps a fraction
            // of one that no other instance can use.
            var moneyAllowance = budget.Amount is null ? 0 : (moneyRoom - need.Money) * (decimal)allowanceShare;
            held = fits
                ? new QuotaAmount(
                    budget.Amount is null ? need.Money : need.Money + (budget.Period == BudgetPeriod.Minute ? Math.Floor(moneyAllowance) : moneyAllowance),
                    budget.Tokens is null ? need.Tokens : need.Tokens + (long)Math.Floor((tokenRoom - need.Tokens) * allowanceShare))
                : need;
        }
        else
        {
            // Report and renew: keep the unused allowance unless giving it back, never hold less than is in flight,
            // and never more than the budget has room for (it may have been lowered).
            var keep = local.ReleaseFree ? local.Reserved : QuotaAmount.Max(local.Reserved, lease.Held - unreported);
            held = new QuotaAmount(
                budget.Amount is null ? local.Reserved.Money : Math.Min(keep.Money, Math.Max(local.Reserved.Money, moneyRoom)),
                budget.Tokens is null ? local.Reserved.Tokens : Math.Min(keep.Tokens, Math.Max(local.Reserved.Tokens, tokenRoom)));
        }
        held = QuotaAmount.Max(QuotaAmount.Zero, held);
        var over = !fits || (budget.Amount is { } limit && spent.Money > limit) || (budget.Tokens is { } tokenLimit && spent.Tokens > tokenLimit);
        var usedUp = (budget.Amount is { } cap && spent.Money >= cap) || (budget.Tokens is { } tokenCap && spent.Tokens >= tokenCap);
        var firstUsedUp = usedUp && !account.Warned;
        var stored = new AccountState(spent, others + held, account.Warned || usedUp);
        return new QuotaDecision(stored, new LeaseState(held, QuotaAmount.Max(lease.Reported, local.Settled)),
            new Outcome(admitted, over, usedUp, firstUsedUp, !tokensFit && moneyFits));
    }
}
