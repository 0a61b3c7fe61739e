namespace Tollgate.Keys;

/// <summary>
/// Client keys declared in configuration and how keys are hashed, cached and limited per owner: <c>Tollgate:Keys</c>,
/// <c>Tollgate:KeyPepper</c>, <c>Tollgate:KeyCacheTtl</c>, <c>Tollgate:MaxActiveKeysPerOwner</c> (the top of the
/// <c>Tollgate</c> section, shared with <c>Proxy/ProxyOptions</c> and <c>Routing/RoutingOptions</c>).
/// </summary>
public sealed class KeysOptions
{
    public const string Section = "Tollgate";

    /// <summary>
    /// Optional secret mixed into every key hash (HMAC-SHA256). Keep it in Key Vault; changing it invalidates
    /// every stored key hash, including <c>Keys:N:KeyHash</c> values.
    /// </summary>
    public string? KeyPepper { get; set; }

    /// <summary>How long a verified key (or an unknown one) is remembered; a revoked or disabled key stops working within this.</summary>
    public TimeSpan KeyCacheTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>At most this many active keys per owner (two make rotation without downtime possible).</summary>
    public int MaxActiveKeysPerOwner { get; set; } = 2;

    /// <summary>Client keys declared in configuration.</summary>
    public List<ApiKeyOptions> Keys { get; set; } = [];
}
