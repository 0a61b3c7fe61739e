namespace Tollgate.Quota;

/// <summary>What an exchange with the shared account decided: the account and this instance's lease as they are to be stored, and the outcome.</summary>
public readonly record struct QuotaDecision(AccountState Account, LeaseState Lease, BudgetMath.Outcome Result);
