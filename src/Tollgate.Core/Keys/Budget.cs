using System.Globalization;

namespace Tollgate.Keys;

/// <summary>
/// A spending limit per period: money in the billing currency (<c>Tollgate:Billing:Currency</c>), tokens, or both.
/// Either limit may be absent; a budget with neither limits nothing.
/// </summary>
public sealed record Budget
{
    /// <summary>The most the period may cost, in the billing currency; null for no money limit.</summary>
    public decimal? Amount { get; set; }

    /// <summary>The most tokens (prompt plus completion) the period may use; null for no token limit.</summary>
    public long? Tokens { get; set; }

    public BudgetPeriod Period { get; set; } = BudgetPeriod.Month;

    public BudgetMode Mode { get; set; } = BudgetMode.Hard;

    /// <summary>The budget limits something.</summary>
    public bool IsSet => Amount is not null || Tokens is not null;

    /// <summary>
    /// The largest amount and token count a budget may have (10^15): far beyond any real budget, and small enough that
    /// sums of spend, holds and worst cases never leave the range of <see cref="decimal"/> or <see cref="long"/>.
    /// </summary>
    public const long MaxLimit = 1_000_000_000_000_000;

    /// <summary>Why this budget cannot be used, or null.</summary>
    public string? Problem()
    {
        if (Amount is < 0 or > MaxLimit)
        {
            return "A budget's amount must be between 0 and 10^15.";
        }
        if (Tokens is < 0 or > MaxLimit)
        {
            return "A budget's tokens must be between 0 and 10^15.";
        }
        if (!Enum.IsDefined(Period) || Period == BudgetPeriod.Minute || !Enum.IsDefined(Mode))
        {
            return "A budget's period must be month, day, week or credit, and its mode hard or soft.";
        }
        return null;
    }

    /// <summary>A money budget per calendar month, refused when used up (what <c>monthly_budget_usd</c> set before budgets had periods).</summary>
    public static Budget Monthly(decimal amount) => new() { Amount = amount };

    /// <summary>The lowercase name used in JSON and messages (<c>month</c>, <c>hard</c>).</summary>
    public static string Name<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    /// <summary>
    /// Parses a period or mode name in any case; false for numbers, padded text, unknown names and the minute (a rate
    /// limit's window, never a budget's period).
    /// </summary>
    public static bool TryParse<T>(string? text, out T value) where T : struct, Enum
    {
        value = default;
        return text is { Length: > 0 } && text.All(char.IsAsciiLetter) && Enum.TryParse(text, ignoreCase: true, out value) && Enum.IsDefined(value)
            && !(value is BudgetPeriod period && period == BudgetPeriod.Minute);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Amount?.ToString(CultureInfo.InvariantCulture) ?? "-"} / {Tokens?.ToString(CultureInfo.InvariantCulture) ?? "-"} tokens per {Name(Period)} ({Name(Mode)})");
}
