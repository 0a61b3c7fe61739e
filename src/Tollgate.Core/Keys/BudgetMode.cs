namespace Tollgate.Keys;

/// <summary>What happens once a budget is used up: refuse requests (402), or serve them and warn.</summary>
public enum BudgetMode
{
    Hard,
    Soft,
}
