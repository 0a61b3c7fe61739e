namespace Tollgate.Routing;

/// <summary>Which timeout of its own one call to a deployment has (<see cref="DeploymentHealth.Begin"/>).</summary>
public enum AttemptLimit
{
    /// <summary>None: it waits as long as the request may (a call with nowhere to fail over to).</summary>
    None,

    /// <summary>A stream's: its response headers within <c>Resilience:StreamAttemptTimeout</c>.</summary>
    Stream,

    /// <summary>A whole answer's: within <c>Resilience:AttemptTimeout</c>, when that is set.</summary>
    Answer,
}
