using Tollgate.Keys;

namespace Tollgate.Admin;

/// <summary>
/// An owner's budget in force, shared by every key of the owner: from configuration (<c>Tollgate:Quota:OwnerBudgets</c>)
/// or stored through the admin API (a stored one wins). Amounts are in the billing currency (<c>Tollgate:Billing:Currency</c>).
/// </summary>
public sealed record OwnerBudgetResponse(string Owner, BudgetResponse Budget, string Source)
{
    public static OwnerBudgetResponse From(string owner, Budget budget, bool stored) =>
        new(owner, BudgetResponse.From(budget), stored ? "stored" : "configuration");
}
