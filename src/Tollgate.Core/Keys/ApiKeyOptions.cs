namespace Tollgate.Keys;

/// <summary>A key declared in configuration (<c>Tollgate:Keys:N</c>): for local runs and small deployments.</summary>
public sealed class ApiKeyOptions
{
    public string Id { get; set; } = "";
    public string? Name { get; set; }
    public string? Owner { get; set; }

    /// <summary>The key's text. Prefer <see cref="KeyHash"/> outside development.</summary>
    public string? Key { get; set; }

    /// <summary>Lower-case hex SHA-256 of the key's text.</summary>
    public string? KeyHash { get; set; }

    /// <summary>Models the key may use; empty means all.</summary>
    public List<string> Models { get; set; } = [];

    public bool Disabled { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>Requests per minute; none when unset.</summary>
    public long? RequestsPerMinute { get; set; }

    /// <summary>Tokens per minute; none when unset.</summary>
    public long? TokensPerMinute { get; set; }

    /// <summary>
    /// The key's budget (<c>Budget:Amount</c> in the billing currency, <c>Budget:Tokens</c>, <c>Budget:Period</c>
    /// month/day/week/credit, <c>Budget:Mode</c> hard/soft); none when unset.
    /// </summary>
    public Budget? Budget { get; set; }

    /// <summary>Legacy shorthand for a hard monthly <see cref="Budget"/> of this amount; not together with <see cref="Budget"/>.</summary>
    public decimal? MonthlyBudgetUsd { get; set; }
}
