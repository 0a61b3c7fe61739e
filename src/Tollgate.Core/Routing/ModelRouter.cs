using Azure.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tollgate.Upstreams;
using Tollgate.Upstreams.Adaptation;

namespace Tollgate.Routing;

/// <summary>
/// Maps a client model name (or an alias) to its route. Built once from configuration: every upstream listing a model
/// under its <c>Models</c> (or <c>ModelMap</c>) is one of the model's deployments (priority 0, weight 1), unless
/// <c>Tollgate:Routes:{model}</c> lists the deployments with their priorities and weights. One deployment (an upstream
/// and a model name) has one health, whichever routes and aliases use it. Lookups are exact and ordinal.
/// </summary>
public sealed class ModelRouter
{
    private readonly Dictionary<string, ModelRoute> _routes = new(StringComparer.Ordinal);

    /// <param name="tokenCredential">The credential every Entra ID upstream signs in with, when the host provides one (tests); otherwise each builds its own.</param>
    public ModelRouter(IOptions<RoutingOptions> options, IOptions<ResilienceOptions> resilience, TimeProvider time, ILoggerFactory? loggers = null,
        TokenCredential? tokenCredential = null, Diagnostics.TollgateMetrics? metrics = null)
    {
        var settings = options.Value;
        // Upstreams signing in with Entra ID and no identity of their own share one DefaultAzureCredential (and its caches).
        TokenCredential? shared = null;
        var logger = loggers?.CreateLogger<Upstream>();
        var upstreams = settings.Upstreams.ToDictionary(u => u.Key, u =>
        {
            var azure = u.Value.Azure;
            var token = azure is { AuthMode: AzureOpenAiAuthMode.Entra } ? tokenCredential : null;
            if (token is null && azure is { AuthMode: AzureOpenAiAuthMode.Entra } && string.IsNullOrWhiteSpace(azure.ManagedIdentityClientId))
            {
                token = shared ??= UpstreamCredential.CreateTokenCredential(azure);
            }
            return new Upstream(u.Key, u.Value, UpstreamCredential.Create(u.Key, u.Value.AuthStyle, u.Value.Secret, azure, time, logger, token));
        }, StringComparer.Ordinal);
        var deployments = new Dictionary<(string Upstream, string Model, int Priority, int Weight), Deployment>();
        var health = new Dictionary<(string Upstream, string Model), DeploymentHealth>();
        Deployment DeploymentOf(string upstream, string model, int priority, int weight)
        {
            if (!health.TryGetValue((upstream, model), out var shared))
            {
                shared = health[(upstream, model)] = new DeploymentHealth(upstream + "/" + model, resilience.Value, time);
            }
            if (!deployments.TryGetValue((upstream, model, priority, weight), out var deployment))
            {
                deployment = deployments[(upstream, model, priority, weight)] = new Deployment(upstreams[upstream], model, priority, weight, shared);
            }
            return deployment;
        }

        var listed = new Dictionary<string, List<Deployment>>(StringComparer.Ordinal);
        foreach (var (name, upstream) in settings.Upstreams)
        {
            foreach (var (clientModel, upstreamModel) in upstream.Models)
            {
                if (!listed.TryGetValue(clientModel, out var list))
                {
                    listed[clientModel] = list = [];
                }
                list.Add(DeploymentOf(name, string.IsNullOrEmpty(upstreamModel) ? clientModel : upstreamModel, 0, 1));
            }
        }
        foreach (var (clientModel, list) in listed)
        {
            _routes[clientModel] = new ModelRoute(clientModel, clientModel, list);
        }
        foreach (var (clientModel, route) in settings.Routes)
        {
            var routeDeployments = route.Deployments.Select(d => DeploymentOf(d.Upstream,
                !string.IsNullOrEmpty(d.Model) ? d.Model
                : settings.Upstreams[d.Upstream].Models.TryGetValue(clientModel, out var mapped) && !string.IsNullOrEmpty(mapped) ? mapped
                : clientModel, d.Priority, d.Weight)).ToArray();
            _routes[clientModel] = new ModelRoute(clientModel, clientModel, routeDeployments);
            foreach (var alias in route.Aliases)
            {
                _routes[alias] = new ModelRoute(alias, clientModel, routeDeployments);
            }
        }
        Routes = _routes.Values.OrderBy(r => r.ClientModel, StringComparer.Ordinal).ToArray();
        Deployments = deployments.Values.DistinctBy(d => d.Name).OrderBy(d => d.Name, StringComparer.Ordinal).ToArray();
        metrics?.ObserveDeployments(Deployments, time);
        AdaptedFields = TopLevelFields.Of(upstreams.Values.Select(u => u.Adaptation));
    }

    /// <summary>
    /// The top-level fields some upstream adapts: the parser records where they sit in each request, so no adaptation
    /// reads the body again. Null when no upstream adapts bodies.
    /// </summary>
    public TopLevelFields? AdaptedFields { get; }

    public IReadOnlyList<ModelRoute> Routes { get; }

    /// <summary>Every deployment, once each, by name.</summary>
    public IReadOnlyList<Deployment> Deployments { get; }

    public bool TryGetRoute(string model, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ModelRoute? route) =>
        _routes.TryGetValue(model, out route);
}
