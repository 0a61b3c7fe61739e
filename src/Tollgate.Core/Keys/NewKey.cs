namespace Tollgate.Keys;

/// <summary>What an administrator asks for when creating a key (<paramref name="Budget"/>: the key's own, or null for none).</summary>
public sealed record NewKey(
    string Name,
    string Owner,
    IReadOnlyList<string>? Models = null,
    long? RequestsPerMinute = null,
    long? TokensPerMinute = null,
    Budget? Budget = null,
    DateTimeOffset? ExpiresAt = null);
