using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tollgate.Keys;
using Tollgate.Routing;

namespace Tollgate.Admin;

/// <summary>What the admin API checks against the gateway's own settings: whether a key exists, whether a model is served.</summary>
internal static class AdminChecks
{
    /// <summary>A key the admin API can report on: one of configuration's (<c>Tollgate:Keys</c>), or one in the keys table in any state.</summary>
    public static async Task<bool> KeyExistsAsync(IServiceProvider services, string id, CancellationToken cancellationToken)
    {
        if (!KeyValidation.IsValidId(id))
        {
            return false;
        }
        if (services.GetRequiredService<IOptions<KeysOptions>>().Value.Keys.Exists(k => k.Id == id))
        {
            return true;
        }
        return services.GetService<TableKeyAdministrator>() is { } store && await store.GetAsync(id, cancellationToken).ConfigureAwait(false) is not null;
    }

    /// <summary>The first of <paramref name="models"/> no route serves (aliases are served), or null when all are.</summary>
    public static string? FirstUnservedModel(IServiceProvider services, IEnumerable<string>? models)
    {
        var router = services.GetRequiredService<ModelRouter>();
        return models?.FirstOrDefault(m => !router.TryGetRoute(m, out _));
    }
}
