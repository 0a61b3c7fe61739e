using Tollgate.Upstreams;

namespace Tollgate.Routing;

/// <summary>
/// The upstreams and the routes over them: <c>Tollgate:Upstreams</c> and <c>Tollgate:Routes</c> (the top of the
/// <c>Tollgate</c> section, shared with <c>Proxy/ProxyOptions</c> and <c>Keys/KeysOptions</c>).
/// </summary>
public sealed class RoutingOptions
{
    public const string Section = "Tollgate";

    /// <summary>Upstream providers by name.</summary>
    public Dictionary<string, UpstreamOptions> Upstreams { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Routes with several deployments, priorities, weights or aliases, by client model name (see <see cref="RouteOptions"/>).</summary>
    public Dictionary<string, RouteOptions> Routes { get; set; } = new(StringComparer.Ordinal);
}
