namespace Tollgate.Admin;

/// <summary>
/// GET <c>/manage/budgets</c>'s answer: every owner budget in force (<see cref="Data"/>), and the current window of every
/// owner and key budget with what was spent, what requests in flight and allowances hold, and what is left
/// (<see cref="Accounts"/>).
/// </summary>
public sealed record OwnerBudgetListResponse(IReadOnlyList<OwnerBudgetResponse> Data, IReadOnlyList<BudgetAccountResponse> Accounts);

/// <summary>One budget's current window: whose (<c>owner</c> or <c>key</c>, and which), and its account.</summary>
public sealed record BudgetAccountResponse(string Scope, string Subject, string Owner, Billing.BudgetUsageResponse Budget);
