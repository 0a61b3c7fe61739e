namespace Tollgate.Quota;

/// <summary>Whose budget: a key's own, or the one all keys of an owner share.</summary>
public enum BudgetScope
{
    Key,
    Owner,
}
