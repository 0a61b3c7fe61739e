namespace Tollgate.Keys;

/// <summary>A Tollgate client key as the gateway sees it after lookup: identity, permissions, limits and state, no secret.</summary>
public sealed record ApiKey
{
    public required string Id { get; init; }
    public string Name { get; init; } = "";
    public string Owner { get; init; } = "";

    /// <summary>Models the key may use; null means every configured model.</summary>
    public IReadOnlySet<string>? AllowedModels { get; init; }
    public KeyState State { get; init; } = KeyState.Active;
    public DateTimeOffset? ExpiresAt { get; init; }
    public required KeyHash Hash { get; init; }

    /// <summary>The highest requests or tokens per minute a key may be given (10^12): any real limit, and none that loses precision.</summary>
    public const long MaxPerMinute = 1_000_000_000_000;

    /// <summary>Requests per minute allowed; null for no limit.</summary>
    public long? RequestsPerMinute { get; init; }

    /// <summary>Tokens per minute allowed; null for no limit.</summary>
    public long? TokensPerMinute { get; init; }

    /// <summary>
    /// The key's own budget (money in the billing currency, <c>Tollgate:Billing:Currency</c>, and/or tokens per period);
    /// null for none. An owner budget, if any, applies on top.
    /// </summary>
    public Budget? Budget { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? LastUsedAt { get; init; }

    /// <summary>The start of the key text (prefix and key id), safe to show so people can tell keys apart.</summary>
    public string DisplayPrefix { get; init; } = "";

    public bool IsUsableAt(DateTimeOffset now) => State == KeyState.Active && (ExpiresAt is null || ExpiresAt > now);

    public bool Allows(string model) => AllowedModels is null || AllowedModels.Contains(model);

    /// <summary>The allowed-models set for a list of models: none listed means every model (null).</summary>
    internal static IReadOnlySet<string>? ModelSet(IReadOnlyCollection<string>? models) =>
        models is { Count: > 0 } ? new HashSet<string>(models, StringComparer.Ordinal) : null;
}
