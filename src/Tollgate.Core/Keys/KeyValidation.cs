namespace Tollgate.Keys;

/// <summary>What a key's id, name, owner and limits may be.</summary>
internal static class KeyValidation
{
    /// <summary>1 to 64 ASCII letters, digits, '-' or '_' (ids from configuration as well as generated ones).</summary>
    public static bool IsValidId(string id) => id.Length is > 0 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public static void ValidateName(string value, string field)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > 128 || value.Any(char.IsControl))
        {
            throw new KeyAdministrationException(400, "invalid_" + field, $"'{field}' must be 1 to 128 printable characters.");
        }
    }

    public static void ValidateLimits(long? rpm, long? tpm, decimal? budget)
    {
        if (rpm is <= 0 || tpm is <= 0 || budget is < 0)
        {
            throw new KeyAdministrationException(422, "invalid_limit", "Limits must be positive (budget: zero or more).");
        }
    }
}
