using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Tollgate.Errors;
using Tollgate.Keys;

namespace Tollgate.Admin;

/// <summary>
/// Reads a budget object, <c>{"amount": 10.5, "tokens": 100000, "period": "month", "mode": "hard"}</c>: the amount in
/// the billing currency (<c>Tollgate:Billing:Currency</c>); period month (default), day, week or credit; mode hard
/// (default) or soft. Only the shape is checked here; what the values may be is <see cref="Keys.KeyValidation.ValidateBudget"/>'s.
/// </summary>
internal static class BudgetParser
{
    /// <param name="value">The budget object.</param>
    /// <param name="prefix">What errors put before a field's name: <c>budget.</c> inside a key, empty for a body that is the budget.</param>
    /// <param name="budget">The budget read.</param>
    /// <param name="error">Why it could not be read.</param>
    public static bool TryParse(JsonElement value, string prefix, [NotNullWhen(true)] out Budget? budget, [NotNullWhen(false)] out ApiError? error)
    {
        budget = null;
        if (value.ValueKind != JsonValueKind.Object)
        {
            error = prefix.Length == 0 ? AdminErrors.InvalidBody("The body must be a JSON object.") : AdminErrors.WrongType(prefix.TrimEnd('.'));
            return false;
        }
        var read = new Budget();
        foreach (var property in value.EnumerateObject())
        {
            var field = prefix + property.Name;
            var element = property.Value;
            var isNull = element.ValueKind == JsonValueKind.Null;
            switch (property.Name)
            {
                case "amount" when isNull:
                case "tokens" when isNull:
                    break;
                case "amount" when element.ValueKind == JsonValueKind.Number && element.TryGetDecimal(out var amount):
                    read.Amount = amount;
                    break;
                case "tokens" when element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var tokens):
                    read.Tokens = tokens;
                    break;
                case "amount" or "tokens":
                    error = AdminErrors.WrongType(field);
                    return false;
                case "period":
                    if (!TryName(element, out BudgetPeriod period))
                    {
                        error = AdminErrors.InvalidBudgetName(field, "month, day, week or credit");
                        return false;
                    }
                    read.Period = period;
                    break;
                case "mode":
                    if (!TryName(element, out BudgetMode mode))
                    {
                        error = AdminErrors.InvalidBudgetName(field, "hard or soft");
                        return false;
                    }
                    read.Mode = mode;
                    break;
                default:
                    error = AdminErrors.UnknownBudgetField(field);
                    return false;
            }
        }
        budget = read;
        error = null;
        return true;
    }

    /// <summary>A period or mode by its name only: no numbers, signs or spaces, which enum parsing would let through.</summary>
    private static bool TryName<T>(JsonElement element, out T value) where T : struct, Enum
    {
        value = default;
        return element.ValueKind == JsonValueKind.String && element.GetString() is { Length: > 0 } text && text.All(char.IsAsciiLetter)
            && Budget.TryParse(text, out value);
    }
}
