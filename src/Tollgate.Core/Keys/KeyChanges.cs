namespace Tollgate.Keys;

/// <summary>
/// A partial update of a key's settings: null leaves a field as it is. To clear a limit, set its Clear flag.
/// </summary>
public sealed record KeyChanges
{
    public string? Name { get; init; }
    public IReadOnlyList<string>? Models { get; init; }
    public bool ClearModels { get; init; }
    public long? RequestsPerMinute { get; init; }
    public bool ClearRequestsPerMinute { get; init; }
    public long? TokensPerMinute { get; init; }
    public bool ClearTokensPerMinute { get; init; }

    /// <summary>A new budget, replacing the key's whole budget (not merged with it).</summary>
    public Budget? Budget { get; init; }
    public bool ClearBudget { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public bool ClearExpiry { get; init; }

    /// <summary>The key with these changes made.</summary>
    public ApiKey ApplyTo(ApiKey key) => key with
    {
        Name = Name ?? key.Name,
        AllowedModels = ClearModels ? null : Models is not null ? ApiKey.ModelSet(Models) : key.AllowedModels,
        RequestsPerMinute = ClearRequestsPerMinute ? null : RequestsPerMinute ?? key.RequestsPerMinute,
        TokensPerMinute = ClearTokensPerMinute ? null : TokensPerMinute ?? key.TokensPerMinute,
        Budget = ClearBudget ? null : Budget ?? key.Budget,
        ExpiresAt = ClearExpiry ? null : ExpiresAt ?? key.ExpiresAt,
    };
}
