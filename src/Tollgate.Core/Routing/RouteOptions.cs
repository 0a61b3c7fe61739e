namespace Tollgate.Routing;

/// <summary>
/// <c>Tollgate:Routes:{client model}</c>: the deployments that serve a model, in priority groups with weights, and
/// other names clients may use for it. Without it, every upstream that lists the model under its <c>Models</c> is a
/// deployment of priority 0 and weight 1.
/// </summary>
public sealed class RouteOptions
{
    public List<DeploymentOptions> Deployments { get; set; } = [];

    /// <summary>Other client-facing names for this route (same deployments, same health).</summary>
    public List<string> Aliases { get; set; } = [];
}

/// <summary>One deployment of a route: an upstream, and the model name that upstream expects.</summary>
public sealed class DeploymentOptions
{
    /// <summary>The upstream's name (<c>Tollgate:Upstreams:{name}</c>).</summary>
    public string Upstream { get; set; } = "";

    /// <summary>The model name the upstream expects; by default the upstream's <c>Models</c> entry for the route, else the route's name.</summary>
    public string? Model { get; set; }

    /// <summary>Lower is tried first; a group is tried only when every deployment of the groups before it is out.</summary>
    public int Priority { get; set; }

    /// <summary>Share of the group's requests this deployment gets first (relative to the others' weights).</summary>
    public int Weight { get; set; } = 1;
}
