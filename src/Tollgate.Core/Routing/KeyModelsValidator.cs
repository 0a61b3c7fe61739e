using Microsoft.Extensions.Options;
using Tollgate.Keys;

namespace Tollgate.Routing;

/// <summary>
/// Fails start-up when a key declared in configuration is allowed a model nothing serves: keys know nothing of routes,
/// so the check lives here, where both are seen.
/// </summary>
internal sealed class KeyModelsValidator(IOptions<RoutingOptions> routing) : IValidateOptions<KeysOptions>
{
    public ValidateOptionsResult Validate(string? name, KeysOptions options)
    {
        HashSet<string>? served = null;
        var failures = new List<string>();
        for (var i = 0; i < options.Keys.Count; i++)
        {
            foreach (var model in options.Keys[i].Models)
            {
                served ??= RoutingOptionsValidator.ServedModels(routing.Value);
                if (!served.Contains(model))
                {
                    failures.Add($"{KeysOptions.Section}:Keys:{i}:Models: '{model}' is not a model any upstream or route serves (nor an alias).");
                }
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
