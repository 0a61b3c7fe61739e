namespace Tollgate.Keys;

/// <summary>When a budget starts afresh: each calendar month (the default), day or ISO week in UTC, or never (a credit).</summary>
public enum BudgetPeriod
{
    Month,
    Day,
    Week,
    Credit,
}
