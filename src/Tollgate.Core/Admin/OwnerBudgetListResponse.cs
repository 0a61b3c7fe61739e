namespace Tollgate.Admin;

/// <summary>GET <c>/manage/budgets</c>'s answer: every owner budget in force.</summary>
public sealed record OwnerBudgetListResponse(IReadOnlyList<OwnerBudgetResponse> Data);
