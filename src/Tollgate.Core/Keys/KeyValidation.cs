using Tollgate.Quota;

namespace Tollgate.Keys;

/// <summary>What a key's id, name, owner and limits may be.</summary>
internal static class KeyValidation
{
    private const int MaxTextLength = 128;

    /// <summary>1 to 64 ASCII letters, digits, '-' or '_' (ids from configuration as well as generated ones).</summary>
    public static bool IsValidId(string id) => id.Length is > 0 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public static void ValidateName(string name)
    {
        if (!IsValidText(name))
        {
            throw new KeyAdministrationException(KeyAdministrationError.InvalidName, $"'name' must be 1 to {MaxTextLength} printable characters.");
        }
    }

    /// <summary>1 to 128 printable characters: what a key's owner may be.</summary>
    public static bool IsValidOwner(string owner) => IsValidText(owner);

    public static void ValidateOwner(string owner)
    {
        if (!IsValidOwner(owner))
        {
            throw new KeyAdministrationException(KeyAdministrationError.InvalidOwner, $"'owner' must be 1 to {MaxTextLength} printable characters.");
        }
    }

    public static void ValidateLimits(long? rpm, long? tpm, Budget? budget)
    {
        if (rpm is <= 0 or > KeyRateLimiter.MaxPerMinute || tpm is <= 0 or > KeyRateLimiter.MaxPerMinute)
        {
            throw new KeyAdministrationException(KeyAdministrationError.InvalidLimit, "requests_per_minute and tokens_per_minute must be from 1 to 10^12.");
        }
        if (budget is not null)
        {
            ValidateBudget(budget);
        }
    }

    /// <summary>A budget must be usable and limit something: an amount, tokens or both.</summary>
    public static void ValidateBudget(Budget budget)
    {
        if ((budget.Problem() ?? (budget.IsSet ? null : "A budget needs an amount, tokens or both.")) is { } problem)
        {
            throw new KeyAdministrationException(KeyAdministrationError.InvalidLimit, problem);
        }
    }

    private static bool IsValidText(string value) => !string.IsNullOrWhiteSpace(value) && value.Length <= MaxTextLength && !value.Any(char.IsControl);
}
