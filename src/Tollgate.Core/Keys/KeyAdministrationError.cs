namespace Tollgate.Keys;

/// <summary>Why a key administration request cannot be carried out (the HTTP layer maps each to a status and code).</summary>
public enum KeyAdministrationError
{
    /// <summary>No key has the id.</summary>
    NotFound,

    /// <summary>The key is revoked, which is final: it cannot be enabled or disabled again.</summary>
    Revoked,

    /// <summary>The owner already has as many active keys as allowed.</summary>
    TooManyActiveKeys,

    /// <summary>The name is empty, too long or has control characters.</summary>
    InvalidName,

    /// <summary>The owner is empty, too long, has control characters, or cannot be named in a path (<see cref="KeyValidation.IsValidOwner"/>).</summary>
    InvalidOwner,

    /// <summary>The expiry is not in the future.</summary>
    InvalidExpiry,

    /// <summary>A rate limit is not positive, or the budget is negative.</summary>
    InvalidLimit,
}
