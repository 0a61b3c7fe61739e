namespace Tollgate.Routing;

/// <summary>
/// A client-facing model name and the deployments that serve it, in priority groups (lower first) with weights inside
/// a group. <see cref="Plan"/> orders the available deployments for one request.
/// </summary>
public sealed class ModelRoute
{
    private readonly Deployment[] _deployments;
    private readonly Deployment[] _single;

    public ModelRoute(string clientModel, string canonicalModel, IEnumerable<Deployment> deployments)
    {
        ClientModel = clientModel;
        CanonicalModel = canonicalModel;
        _deployments = deployments.OrderBy(d => d.Priority).ToArray();
        _single = _deployments.Length == 1 ? _deployments : [];
    }

    public string ClientModel { get; }

    /// <summary>The route's own name: <see cref="ClientModel"/>, or for an alias the model it stands for (prices are looked up by it).</summary>
    public string CanonicalModel { get; }

    public IReadOnlyList<Deployment> Deployments => _deployments;

    /// <summary>The deployment a request tries first when all are healthy (for pricing and listings).</summary>
    public Deployment Primary => _deployments[0];

    /// <summary>
    /// The deployments to try, in order: available ones only, priority groups in order, a weighted random order inside
    /// each group. <paramref name="soonest"/> is the earliest end of a <c>Retry-After</c> among those left out for one.
    /// </summary>
    /// <param name="rateLimited">Some deployment left out for a <c>Retry-After</c> was rate limited (429) rather than unavailable.</param>
    public Deployment[] Plan(DateTimeOffset now, Random random, out DateTimeOffset? soonest, out bool rateLimited)
    {
        soonest = null;
        rateLimited = false;
        if (_single.Length == 1)
        {
            var state = _single[0].Health.StateAt(now);
            if (state == DeploymentState.Available)
            {
                return _single;
            }
            soonest = state == DeploymentState.RetryAfter ? _single[0].Health.RetryAfterUntil : null;
            rateLimited = state == DeploymentState.RetryAfter && _single[0].Health.RetryAfterRateLimited;
            return [];
        }

        var plan = new List<(Deployment Deployment, double Key)>(_deployments.Length);
        foreach (var deployment in _deployments)
        {
            var state = deployment.Health.StateAt(now);
            if (state == DeploymentState.Available)
            {
                // Weighted order without replacement (Efraimidis–Spirakis): a smaller key goes first.
                plan.Add((deployment, -Math.Log(1 - random.NextDouble()) / Math.Max(1, deployment.Weight)));
            }
            else if (state == DeploymentState.RetryAfter)
            {
                rateLimited |= deployment.Health.RetryAfterRateLimited;
                if (soonest is null || deployment.Health.RetryAfterUntil < soonest)
                {
                    soonest = deployment.Health.RetryAfterUntil;
                }
            }
        }
        plan.Sort(static (a, b) => a.Deployment.Priority != b.Deployment.Priority ? a.Deployment.Priority.CompareTo(b.Deployment.Priority) : a.Key.CompareTo(b.Key));
        var ordered = new Deployment[plan.Count];
        for (var i = 0; i < ordered.Length; i++)
        {
            ordered[i] = plan[i].Deployment;
        }
        return ordered;
    }
}
