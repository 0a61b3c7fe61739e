using Tollgate.Keys;

namespace Tollgate.Admin;

/// <summary>A key as the admin API shows it (never its secret or hash).</summary>
public sealed record KeyResponse(
    string Id,
    string Name,
    string Owner,
    string DisplayPrefix,
    string State,
    string[]? Models,
    long? RequestsPerMinute,
    long? TokensPerMinute,
    BudgetResponse? Budget,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? LastUsedAt)
{
    public static KeyResponse From(ApiKey key) => new(
        key.Id, key.Name, key.Owner, key.DisplayPrefix, key.State.ToString().ToLowerInvariant(),
        key.AllowedModels?.Order(StringComparer.Ordinal).ToArray(), key.RequestsPerMinute, key.TokensPerMinute,
        key.Budget is { } budget ? BudgetResponse.From(budget) : null, key.ExpiresAt, key.CreatedAt, key.LastUsedAt);
}
