namespace Tollgate.Keys;

/// <summary>A Tollgate client key as the gateway sees it after lookup: identity, permissions and state, no secret.</summary>
public sealed class ApiKey
{
    public required string Id { get; init; }
    public string Name { get; init; } = "";
    public string Owner { get; init; } = "";

    /// <summary>Models the key may use; null means every configured model.</summary>
    public IReadOnlySet<string>? AllowedModels { get; init; }
    public KeyState State { get; init; } = KeyState.Active;
    public DateTimeOffset? ExpiresAt { get; init; }
    public required KeyHash Hash { get; init; }

    public bool IsUsableAt(DateTimeOffset now) => State == KeyState.Active && (ExpiresAt is null || ExpiresAt > now);

    public bool Allows(string model) => AllowedModels is null || AllowedModels.Contains(model);
}
