using Microsoft.Extensions.Options;
using Tollgate.Upstreams;

namespace Tollgate.Routing;

/// <summary>
/// Fails start-up on upstreams or routes Tollgate cannot serve with, naming the setting's path: each upstream by its
/// own rules (<see cref="UpstreamOptions.Problems"/>), then every route's deployments and aliases.
/// </summary>
internal sealed class RoutingOptionsValidator : IValidateOptions<RoutingOptions>
{
    public ValidateOptionsResult Validate(string? name, RoutingOptions options)
    {
        var failures = new List<string>();
        const string S = RoutingOptions.Section;
        foreach (var (upstreamName, upstream) in options.Upstreams)
        {
            failures.AddRange(upstream.Problems($"{S}:Upstreams:{upstreamName}"));
        }

        var names = new HashSet<string>(options.Upstreams.Values.SelectMany(u => u.Models.Keys), StringComparer.Ordinal);
        foreach (var (model, route) in options.Routes)
        {
            var path = $"{S}:Routes:{model}";
            names.Add(model);
            if (route.Deployments.Count == 0)
            {
                failures.Add($"{path}:Deployments must list at least one deployment.");
            }
            for (var i = 0; i < route.Deployments.Count; i++)
            {
                var deployment = route.Deployments[i];
                if (!options.Upstreams.ContainsKey(deployment.Upstream))
                {
                    failures.Add($"{path}:Deployments:{i}:Upstream '{deployment.Upstream}' is not one of Tollgate:Upstreams.");
                }
                if (deployment.Weight is < 1 or > 1000 || deployment.Priority is < 0 or > 100)
                {
                    failures.Add($"{path}:Deployments:{i}: Weight must be 1 to 1000 and Priority 0 to 100.");
                }
            }
        }
        foreach (var (model, route) in options.Routes)
        {
            foreach (var alias in route.Aliases)
            {
                if (string.IsNullOrWhiteSpace(alias) || !names.Add(alias))
                {
                    failures.Add($"{S}:Routes:{model}:Aliases: '{alias}' is empty or already a model or alias.");
                }
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Every client model name the configuration serves: the upstreams' models, the routes and their aliases.</summary>
    public static HashSet<string> ServedModels(RoutingOptions options)
    {
        var names = new HashSet<string>(options.Upstreams.Values.SelectMany(u => u.Models.Keys), StringComparer.Ordinal);
        foreach (var (model, route) in options.Routes)
        {
            names.Add(model);
            names.UnionWith(route.Aliases.Where(a => !string.IsNullOrWhiteSpace(a)));
        }
        return names;
    }
}
