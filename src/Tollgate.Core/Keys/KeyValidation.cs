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

    /// <summary>What an owner may be, said the way errors and start-up failures say it.</summary>
    public static readonly string OwnerRule =
        $"1 to {MaxTextLength} printable characters without '/', '\\' or '%', and not '.' or '..' (an owner is named in /manage/owners/{{owner}} paths)";

    /// <summary>
    /// What a key's owner may be: 1 to 128 printable characters that every <c>/manage/owners/{owner}</c> route can
    /// be given, percent-encoded (spaces and non-ASCII are fine). Not '/' (routing keeps <c>%2F</c> encoded, so the
    /// route would see another name), not '%' (the route value <c>team%2Fx</c> is then always an encoded '/', refused,
    /// never another owner's name), not '\' (some proxies read it as '/'), and not '.' or '..' (removed from paths as
    /// dot segments).
    /// </summary>
    public static bool IsValidOwner(string owner) =>
        IsValidText(owner) && owner.AsSpan().IndexOfAny('/', '\\', '%') < 0 && owner is not ("." or "..");

    public static void ValidateOwner(string owner)
    {
        if (!IsValidOwner(owner))
        {
            throw new KeyAdministrationException(KeyAdministrationError.InvalidOwner, $"'owner' must be {OwnerRule}.");
        }
    }

    /// <summary>A key cannot be created, or changed, to have expired already.</summary>
    public static void ValidateExpiry(DateTimeOffset? expiresAt, DateTimeOffset now)
    {
        if (expiresAt <= now)
        {
            throw new KeyAdministrationException(KeyAdministrationError.InvalidExpiry, "'expires_at' must be in the future (send null to remove an expiry).");
        }
    }

    public static void ValidateLimits(long? rpm, long? tpm, Budget? budget)
    {
        if (rpm is <= 0 or > ApiKey.MaxPerMinute || tpm is <= 0 or > ApiKey.MaxPerMinute)
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
