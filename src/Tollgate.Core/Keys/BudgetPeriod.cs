namespace Tollgate.Keys;

/// <summary>When a budget starts afresh: each calendar month (the default), day or ISO week in UTC, or never (a credit); or, for rate limits only, each minute.</summary>
public enum BudgetPeriod
{
    Month,
    Day,
    Week,
    Credit,

    /// <summary>
    /// A UTC clock minute: the window of a key's requests and tokens per minute (rate limits share the budgets'
    /// accounts). Never a budget's period: <see cref="Budget.TryParse{T}"/> and <see cref="Budget.Problem"/> refuse it.
    /// </summary>
    Minute,
}
