namespace Tollgate.Routing;

/// <summary>One upstream provider, from <c>Tollgate:Upstreams:{name}</c>.</summary>
public sealed class UpstreamOptions
{
    /// <summary>Scheme and host (and any fixed path prefix) of the provider, e.g. <c>https://api.example.com</c>.</summary>
    public string BaseUrl { get; set; } = "";

    public UpstreamPathStyle PathStyle { get; set; } = UpstreamPathStyle.V1;

    public UpstreamAuthStyle AuthStyle { get; set; } = UpstreamAuthStyle.Bearer;

    /// <summary>The provider's API key. Keep it in user secrets, app settings or a Key Vault reference, never in the repo.</summary>
    public string? Secret { get; set; }

    /// <summary>True when the provider wraps responses in <c>{success, code, message, data}</c>.</summary>
    public bool Envelope { get; set; }

    /// <summary>Models this provider serves: the name clients use → the name the provider expects.</summary>
    public Dictionary<string, string> Models { get; set; } = new(StringComparer.Ordinal);
}
