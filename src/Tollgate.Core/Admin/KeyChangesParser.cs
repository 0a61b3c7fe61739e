using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Tollgate.Errors;
using Tollgate.Keys;

namespace Tollgate.Admin;

/// <summary>
/// Reads a PATCH body into <see cref="KeyChanges"/>: absent fields stay, a field sent as null is cleared. <c>budget</c>
/// (an object, see <see cref="BudgetParser"/>) replaces the whole budget; the legacy <c>monthly_budget_usd</c> sets a hard
/// monthly one of that amount in the billing currency. Not both at once.
/// </summary>
internal static class KeyChangesParser
{
    public static bool TryParse(JsonElement body, out KeyChanges changes, [NotNullWhen(false)] out ApiError? error)
    {
        changes = new KeyChanges();
        error = null;
        if (body.ValueKind != JsonValueKind.Object)
        {
            error = AdminErrors.InvalidBody("The body must be a JSON object.");
            return false;
        }
        if (body.TryGetProperty("budget", out _) && body.TryGetProperty("monthly_budget_usd", out _))
        {
            error = AdminErrors.BothBudgets();
            return false;
        }
        foreach (var property in body.EnumerateObject())
        {
            if (property.Name == "budget" && property.Value.ValueKind != JsonValueKind.Null)
            {
                if (!BudgetParser.TryParse(property.Value, "budget.", out var budget, out error))
                {
                    return false;
                }
                changes = changes with { Budget = budget };
                continue;
            }
            KeyChanges? changed;
            try
            {
                changed = Apply(changes, property.Name, property.Value);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                error = AdminErrors.WrongType(property.Name);
                return false;
            }
            if (changed is null)
            {
                error = AdminErrors.UnknownField(property.Name);
                return false;
            }
            changes = changed;
        }
        return true;
    }

    /// <summary>The changes with one more field, or null when the field cannot be changed.</summary>
    private static KeyChanges? Apply(KeyChanges changes, string name, JsonElement value)
    {
        var isNull = value.ValueKind == JsonValueKind.Null;
        return name switch
        {
            "name" => changes with { Name = value.GetString() },
            "models" => isNull ? changes with { ClearModels = true } : changes with { Models = value.EnumerateArray().Select(m => m.GetString() ?? "").ToArray() },
            "requests_per_minute" => isNull ? changes with { ClearRequestsPerMinute = true } : changes with { RequestsPerMinute = value.GetInt64() },
            "tokens_per_minute" => isNull ? changes with { ClearTokensPerMinute = true } : changes with { TokensPerMinute = value.GetInt64() },
            "budget" => changes with { ClearBudget = true },
            "monthly_budget_usd" => isNull ? changes with { ClearBudget = true } : changes with { Budget = Budget.Monthly(value.GetDecimal()) },
            "expires_at" => isNull ? changes with { ClearExpiry = true } : changes with { ExpiresAt = value.GetDateTimeOffset() },
            _ => null,
        };
    }
}
