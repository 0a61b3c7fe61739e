using Tollgate.Keys;
using Tollgate.Quota;

namespace Tollgate.Tests.Quota;

public sealed class BudgetMathTests
{
    private static readonly Budget Ten = new() { Amount = 10m };

    private static QuotaAmount M(decimal money, long tokens = 0) => new(money, tokens);

    private static BudgetMath.Local Reserve(decimal want, decimal reserved = 0, decimal settled = 0) =>
        new(M(settled), M(reserved), M(want), Reserve: true, ReleaseFree: false);

    private static LeaseState Lease(decimal held, decimal reported = 0) => new(M(held), M(reported));

    [Fact]
    public void FarFromTheLimit_TheRequestIsAdmitted_WithAShareOfWhatIsLeftAsAllowance()
    {
        var decision = BudgetMath.Decide(Ten, 0.1, AccountState.Empty, default, Reserve(1m));

        Assert.True(decision.Result.Admitted);
        Assert.False(decision.Result.Over);
        // Holds the request (1) and a tenth of the other 9.
        Assert.Equal(Lease(1.9m), decision.Lease);
        Assert.Equal(new AccountState(M(0), M(1.9m), false), decision.Account);
    }

    [Fact]
    public void OtherInstancesLeases_AndWhatWasSpent_LeaveLessRoom_AndAHardBudgetRefusesWhatDoesNotFit()
    {
        // 6 spent, 3 held by others (4 in all, 1 ours): room for us is 1; 0.5 in flight plus 0.6 wanted does not fit.
        var account = new AccountState(M(6m), M(4m), false);
        var decision = BudgetMath.Decide(Ten, 0.1, account, Lease(1m), Reserve(0.6m, reserved: 0.5m));

        Assert.False(decision.Result.Admitted);
        Assert.True(decision.Result.Over);
        // Refused, but not used up: 6 of 10 spent.
        Assert.False(decision.Result.UsedUp);
        Assert.False(decision.Result.FirstUsedUp);
        // Nothing more is taken, the in-flight 0.5 stays held, the unused 0.5 stays too (at most the room).
        Assert.Equal(Lease(1m), decision.Lease);
        Assert.Equal(new AccountState(M(6m), M(4m), false), decision.Account);
    }

    [Fact]
    public void NearTheLimit_TheAllowanceShrinksToTheRequest_SoEachRequestGoesToStorage()
    {
        var account = new AccountState(M(9.99m), M(0m), false);
        var decision = BudgetMath.Decide(Ten, 0.1, account, default, Reserve(0.009m));

        Assert.True(decision.Result.Admitted);
        Assert.Equal(Lease(0.0091m), decision.Lease);
    }

    [Fact]
    public void ASoftBudget_AdmitsPastTheLimit_AndSaysItIsOver_OnceFirst()
    {
        var soft = new Budget { Amount = 1m, Mode = BudgetMode.Soft };
        var account = new AccountState(M(0.99m), M(0m), false);

        // Admitted past the limit, which is not used up until what was spent reaches it.
        var first = BudgetMath.Decide(soft, 0.1, account, default, Reserve(0.05m));
        Assert.Equal((true, true, false), (first.Result.Admitted, first.Result.Over, first.Result.FirstUsedUp));
        Assert.Equal(Lease(0.05m), first.Lease);

        // The request spent 0.04: 1.03 in all, used up, said once.
        var reported = BudgetMath.Decide(soft, 0.1, first.Account, first.Lease, new BudgetMath.Local(M(0.04m), M(0m), QuotaAmount.Zero, Reserve: false, ReleaseFree: false));
        Assert.Equal((true, true), (reported.Result.UsedUp, reported.Result.FirstUsedUp));
        var second = BudgetMath.Decide(soft, 0.1, reported.Account, reported.Lease, Reserve(0.05m, reserved: 0.05m));
        Assert.Equal((true, true, true, false), (second.Result.Admitted, second.Result.Over, second.Result.UsedUp, second.Result.FirstUsedUp));
    }

    [Fact]
    public void AFlush_ReportsTheSpending_KeepsTheAllowance_OrGivesItBack()
    {
        // Held 2: 0.5 in flight, 0.3 spent since the last exchange (3.3 settled in all, 3.0 reported before), 1.2 unused.
        var account = new AccountState(M(1m), M(2m), false);
        var keep = BudgetMath.Decide(Ten, 0.1, account, Lease(2m, reported: 3m), new BudgetMath.Local(M(3.3m), M(0.5m), QuotaAmount.Zero, Reserve: false, ReleaseFree: false));
        Assert.Equal(Lease(1.7m, reported: 3.3m), keep.Lease);
        Assert.Equal(new AccountState(M(1.3m), M(1.7m), false), keep.Account);

        var release = BudgetMath.Decide(Ten, 0.1, account, Lease(2m, reported: 3m), new BudgetMath.Local(M(3.3m), M(0.5m), QuotaAmount.Zero, Reserve: false, ReleaseFree: true));
        Assert.Equal(Lease(0.5m, reported: 3.3m), release.Lease);
        Assert.Equal(new AccountState(M(1.3m), M(0.5m), false), release.Account);
    }

    [Fact]
    public void AnExchangeDecidedAgainAfterItsWriteLanded_ReportsNothingTwice()
    {
        var local = new BudgetMath.Local(M(0.3m), M(0.5m), QuotaAmount.Zero, Reserve: false, ReleaseFree: false);
        var first = BudgetMath.Decide(Ten, 0.1, new AccountState(M(1m), M(2m), false), Lease(2m), local);
        // The answer was lost and the same exchange is decided again on what the first one stored.
        var again = BudgetMath.Decide(Ten, 0.1, first.Account, first.Lease, local);
        Assert.Equal(first.Account, again.Account);
        Assert.Equal(first.Lease, again.Lease);
        Assert.Equal(M(1.3m), again.Account.Spent);
    }

    [Fact]
    public void ARequestThatCostMoreThanItReserved_IsStillCounted_AndALoweredBudgetTrimsTheAllowance()
    {
        // Held 1, nothing in flight, 1.4 spent: the 0.4 beyond is taken from the account, nothing is held on.
        var overspent = BudgetMath.Decide(Ten, 0.1, new AccountState(M(0m), M(1m), false), Lease(1m),
            new BudgetMath.Local(M(1.4m), M(0m), QuotaAmount.Zero, Reserve: false, ReleaseFree: false));
        Assert.Equal(new AccountState(M(1.4m), M(0m), false), overspent.Account);

        // The budget was lowered to 2 while this instance holds 3 (1 in flight): it keeps only what fits, and never less than in flight.
        var lowered = BudgetMath.Decide(new Budget { Amount = 2m }, 0.1, new AccountState(M(1.5m), M(3m), false), Lease(3m),
            new BudgetMath.Local(M(0m), M(1m), QuotaAmount.Zero, Reserve: false, ReleaseFree: false));
        Assert.Equal(Lease(1m), lowered.Lease);
        Assert.True(lowered.Result.Over);
    }

    [Fact]
    public void ATokenBudget_CountsTokens_AndSaysTokensWereShort()
    {
        var tokens = new Budget { Tokens = 1000 };
        var admitted = BudgetMath.Decide(tokens, 0.5, AccountState.Empty, default,
            new BudgetMath.Local(QuotaAmount.Zero, QuotaAmount.Zero, M(5m, 200), Reserve: true, ReleaseFree: false));
        // Money is not limited: held as reserved; tokens: 200 plus half of the other 800.
        Assert.Equal(M(5m, 600), admitted.Lease.Held);

        var refused = BudgetMath.Decide(tokens, 0.5, new AccountState(M(0m, 900), M(0m), false), default,
            new BudgetMath.Local(QuotaAmount.Zero, QuotaAmount.Zero, M(5m, 200), Reserve: true, ReleaseFree: false));
        Assert.Equal((false, true), (refused.Result.Admitted, refused.Result.TokensShort));
    }

    [Fact]
    public void ALeaseThatWasReleased_MeanwhileIsHeldAgain_WithoutCountingTwice()
    {
        // The account says others hold 2; our lease was released while we stalled (it holds nothing, its report total
        // stays): we hold our 0.5 in flight again and report only the 0.2 spent since.
        var decision = BudgetMath.Decide(Ten, 0.1, new AccountState(M(1m), M(2m), false), Lease(0m, reported: 4m),
            new BudgetMath.Local(M(4.2m), M(0.5m), QuotaAmount.Zero, Reserve: false, ReleaseFree: false));
        Assert.Equal(Lease(0.5m, reported: 4.2m), decision.Lease);
        Assert.Equal(new AccountState(M(1.2m), M(2.5m), false), decision.Account);
    }

    [Fact]
    public void ARequestLargerThanWhatIsLeft_IsRefused_WithoutTheBudgetBeingUsedUp_AndSpendingTheLastOfItIsUsedUp()
    {
        // 0.0002 of 100 spent: a request that may cost 100 does not fit in the 99.9998 left.
        var account = new AccountState(M(0.0002m), M(0m), false);
        var oversized = BudgetMath.Decide(new Budget { Amount = 100m }, 0.1, account, default, Reserve(100m));
        Assert.Equal((false, true, false, false), (oversized.Result.Admitted, oversized.Result.Over, oversized.Result.UsedUp, oversized.Result.FirstUsedUp));
        Assert.False(oversized.Account.Warned);

        var spent = BudgetMath.Decide(new Budget { Amount = 100m }, 0.1, new AccountState(M(100m), M(0m), false), default, Reserve(0.01m));
        Assert.Equal((false, true, true), (spent.Result.Admitted, spent.Result.UsedUp, spent.Result.FirstUsedUp));
        Assert.True(spent.Account.Warned);

        var tokens = BudgetMath.Decide(new Budget { Tokens = 1000 }, 0.1, new AccountState(M(0m, 1000), M(0m), false), default, Reserve(0m));
        Assert.True(tokens.Result.UsedUp);
    }
}
