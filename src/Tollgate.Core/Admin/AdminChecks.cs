using Tollgate.Keys;
using Tollgate.Routing;

namespace Tollgate.Admin;

/// <summary>What the admin API checks against the gateway's own settings: whether a key exists, whether a model is served.</summary>
internal static class AdminChecks
{
    /// <summary>A key the admin API can report on: one of configuration's (<c>Tollgate:Keys</c>), or one in the keys table in any state.</summary>
    /// <param name="options">The gateway's options, whose <c>Keys</c> are configuration's.</param>
    /// <param name="keys">The keys table; null without storage.</param>
    public static async Task<bool> KeyExistsAsync(KeysOptions options, TableKeyAdministrator? keys, string id, CancellationToken cancellationToken)
    {
        if (!KeyValidation.IsValidId(id))
        {
            return false;
        }
        if (options.Keys.Exists(k => k.Id == id))
        {
            return true;
        }
        return keys is not null && await keys.GetAsync(id, cancellationToken).ConfigureAwait(false) is not null;
    }

    /// <summary>The first of <paramref name="models"/> no route serves (aliases are served), or null when all are.</summary>
    public static string? FirstUnservedModel(ModelRouter router, IEnumerable<string>? models) =>
        models?.FirstOrDefault(m => !router.TryGetRoute(m, out _));
}
