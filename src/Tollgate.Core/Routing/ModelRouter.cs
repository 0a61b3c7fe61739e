using Microsoft.Extensions.Options;

namespace Tollgate.Routing;

/// <summary>Maps a client model name to its route. Built once from configuration; lookups are exact and ordinal.</summary>
public sealed class ModelRouter
{
    private readonly Dictionary<string, ModelRoute> _routes = new(StringComparer.Ordinal);

    public ModelRouter(IOptions<TollgateOptions> options)
    {
        foreach (var (name, upstreamOptions) in options.Value.Upstreams)
        {
            var upstream = new Upstream(name, upstreamOptions);
            foreach (var (clientModel, upstreamModel) in upstreamOptions.Models)
            {
                // The first upstream listing a model serves it; later ones are ignored (failover comes with health routing).
                _routes.TryAdd(clientModel, new ModelRoute(clientModel, upstream, string.IsNullOrEmpty(upstreamModel) ? clientModel : upstreamModel));
            }
        }
        Routes = _routes.Values.OrderBy(r => r.ClientModel, StringComparer.Ordinal).ToArray();
    }

    public IReadOnlyList<ModelRoute> Routes { get; }

    public bool TryGetRoute(string model, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ModelRoute? route) =>
        _routes.TryGetValue(model, out route);
}
