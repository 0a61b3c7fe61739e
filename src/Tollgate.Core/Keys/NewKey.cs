namespace Tollgate.Keys;

/// <summary>What an administrator asks for when creating a key.</summary>
public sealed record NewKey(
    string Name,
    string Owner,
    IReadOnlyList<string>? Models = null,
    long? RequestsPerMinute = null,
    long? TokensPerMinute = null,
    decimal? MonthlyBudgetUsd = null,
    DateTimeOffset? ExpiresAt = null);
