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

    public static void ValidateOwner(string owner)
    {
        if (!IsValidText(owner))
        {
            throw new KeyAdministrationException(KeyAdministrationError.InvalidOwner, $"'owner' must be 1 to {MaxTextLength} printable characters.");
        }
    }

    public static void ValidateLimits(long? rpm, long? tpm, decimal? budget)
    {
        if (rpm is <= 0 || tpm is <= 0 || budget is < 0)
        {
            throw new KeyAdministrationException(KeyAdministrationError.InvalidLimit, "Limits must be positive (budget: zero or more).");
        }
    }

    private static bool IsValidText(string value) => !string.IsNullOrWhiteSpace(value) && value.Length <= MaxTextLength && !value.Any(char.IsControl);
}
