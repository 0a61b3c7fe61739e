using System.Diagnostics.Metrics;
using Tollgate.Diagnostics;

namespace Tollgate.Routing;

/// <summary>Deployment health on the shared <see cref="TollgateMetrics"/> meter.</summary>
internal static class DeploymentMetrics
{
    /// <summary>
    /// Observes each deployment's health as <c>tollgate.upstream.available</c> (1 when it is in rotation, 0 when it is left
    /// out) and <c>tollgate.upstream.circuit</c> (0 closed, 1 open, 2 half-open, 3 isolated), tagged by deployment.
    /// </summary>
    public static void ObserveDeployments(this TollgateMetrics metrics, IReadOnlyList<Deployment> deployments, TimeProvider time)
    {
        metrics.ObserveGauge("tollgate.upstream.available", () => deployments.Select(d => new Measurement<int>(
            d.Health.StateAt(time.GetUtcNow()) == DeploymentState.Available ? 1 : 0, new KeyValuePair<string, object?>("tollgate.deployment", d.Name))),
            "1 while a deployment is in rotation, 0 while it is left out (Retry-After, open circuit, out of balance).");
        metrics.ObserveGauge("tollgate.upstream.circuit", () => deployments.Select(d => new Measurement<int>(
            (int)d.Health.Circuit, new KeyValuePair<string, object?>("tollgate.deployment", d.Name))),
            "A deployment's circuit: 0 closed, 1 open, 2 half-open, 3 isolated (Polly's CircuitState).");
    }
}
