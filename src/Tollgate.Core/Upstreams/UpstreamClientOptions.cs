namespace Tollgate.Upstreams;

/// <summary>
/// How upstream connections are made: <c>Tollgate:UpstreamConnectTimeout</c> (the top of the <c>Tollgate</c> section,
/// shared with <c>Proxy/ProxyOptions</c>, <c>Routing/RoutingOptions</c> and <c>Keys/KeysOptions</c>).
/// </summary>
public sealed class UpstreamClientOptions
{
    public const string Section = "Tollgate";

    /// <summary>Longest a new connection to an upstream may take.</summary>
    public TimeSpan UpstreamConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
