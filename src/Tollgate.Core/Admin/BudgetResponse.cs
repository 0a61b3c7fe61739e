using Tollgate.Keys;

namespace Tollgate.Admin;

/// <summary>A budget as the admin API shows it: the amount in the billing currency (<c>Tollgate:Billing:Currency</c>), tokens, period and mode by name.</summary>
public sealed record BudgetResponse(decimal? Amount, long? Tokens, string Period, string Mode)
{
    public static BudgetResponse From(Budget budget) => new(budget.Amount, budget.Tokens, Budget.Name(budget.Period), Budget.Name(budget.Mode));
}
