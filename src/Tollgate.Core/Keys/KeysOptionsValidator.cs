using Microsoft.Extensions.Options;
using Tollgate.Configuration;

namespace Tollgate.Keys;

/// <summary>
/// Fails start-up on keys declared in configuration that Tollgate cannot serve with, naming the setting's path. Whether
/// their models are served is checked where routes are known (<c>Routing/KeyModelsValidator</c>).
/// </summary>
internal sealed class KeysOptionsValidator : IValidateOptions<KeysOptions>
{
    public ValidateOptionsResult Validate(string? name, KeysOptions options)
    {
        var failures = new List<string>();
        const string S = KeysOptions.Section;
        KeyVaultReference.AddIfUnresolved(failures, $"{S}:KeyPepper", options.KeyPepper);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Keys.Count; i++)
        {
            var key = options.Keys[i];
            var path = $"{S}:Keys:{i}";
            KeyVaultReference.AddIfUnresolved(failures, $"{path}:Key", key.Key);
            KeyVaultReference.AddIfUnresolved(failures, $"{path}:KeyHash", key.KeyHash);
            if (!KeyValidation.IsValidId(key.Id))
            {
                failures.Add($"{path}:Id must be 1 to 64 letters, digits, '-' or '_'.");
            }
            else if (!ids.Add(key.Id))
            {
                failures.Add($"{path}:Id '{key.Id}' is used twice.");
            }
            var hasKey = !string.IsNullOrEmpty(key.Key);
            var hasHash = !string.IsNullOrEmpty(key.KeyHash);
            if (hasKey == hasHash)
            {
                failures.Add($"{path} needs exactly one of Key or KeyHash.");
            }
            else if (hasHash && !KeyHash.TryParseHex(key.KeyHash!, out _))
            {
                failures.Add($"{path}:KeyHash must be 64 hex digits (SHA-256).");
            }
            else if (hasKey && (key.Key!.Length > KeyHash.MaxKeyLength || key.Key.Any(char.IsWhiteSpace)))
            {
                failures.Add($"{path}:Key must be at most {KeyHash.MaxKeyLength} characters without spaces.");
            }
            if (key.Owner is not null && !KeyValidation.IsValidOwner(key.Owner))
            {
                failures.Add($"{path}:Owner must be {KeyValidation.OwnerRule}.");
            }
            if (key.RequestsPerMinute is <= 0 or > ApiKey.MaxPerMinute || key.TokensPerMinute is <= 0 or > ApiKey.MaxPerMinute
                || key.MonthlyBudgetUsd is < 0 or > Budget.MaxLimit)
            {
                failures.Add($"{path}: RequestsPerMinute and TokensPerMinute must be from 1 to 10^12, MonthlyBudgetUsd from 0 to 10^15.");
            }
            if (key.Budget is { } budget)
            {
                if (key.MonthlyBudgetUsd is not null)
                {
                    failures.Add($"{path} sets both Budget and MonthlyBudgetUsd; keep Budget (MonthlyBudgetUsd is its legacy shorthand).");
                }
                if (budget.Problem() is { } problem)
                {
                    failures.Add($"{path}:Budget: {problem}");
                }
                else if (!budget.IsSet)
                {
                    failures.Add($"{path}:Budget needs Amount, Tokens or both.");
                }
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
