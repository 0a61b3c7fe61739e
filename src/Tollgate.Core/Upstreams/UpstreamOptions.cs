using Tollgate.Upstreams.Adaptation;

namespace Tollgate.Upstreams;

/// <summary>One upstream provider, from <c>Tollgate:Upstreams:{name}</c>.</summary>
public sealed class UpstreamOptions
{
    /// <summary>Scheme and host (and any fixed path prefix) of the provider, e.g. <c>https://api.example.com</c>.</summary>
    public string BaseUrl { get; set; } = "";

    public UpstreamPathStyle PathStyle { get; set; } = UpstreamPathStyle.V1;

    public UpstreamAuthStyle AuthStyle { get; set; } = UpstreamAuthStyle.Bearer;

    /// <summary>The provider's API key. Keep it in user secrets, app settings or a Key Vault reference, never in the repo.</summary>
    public string? Secret { get; set; }

    /// <summary>
    /// Set for Azure OpenAI: sign in with an <c>api-key</c> (the default, <see cref="Secret"/>) or Microsoft Entra ID
    /// (<c>Azure:AuthMode=Entra</c>), and call the <c>/openai/v1</c> API or the deployment-style URL with <c>api-version</c>.
    /// </summary>
    public AzureOpenAiOptions? Azure { get; set; }

    /// <summary>True when the provider wraps responses in <c>{success, code, message, data}</c>.</summary>
    public bool Envelope { get; set; }

    /// <summary>What this provider takes differently: fields renamed, dropped or with values replaced, and fixed extra headers.</summary>
    public UpstreamAdaptationOptions Adapt { get; set; } = new();

    /// <summary>Models this provider serves: the name clients use → the name the provider expects.</summary>
    public Dictionary<string, string> Models { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The same as <see cref="Models"/> in one value, for hosts whose setting names cannot carry model names (App Service
    /// on Linux turns '.' in a setting name into '_', so <c>gpt-4.1</c> cannot be a key there):
    /// <c>gpt-4o-mini=gpt-4o-mini-2024-07-18;gpt-4.1</c>, entries split by ';' or ',', a name alone meaning the same
    /// name upstream. Added to <see cref="Models"/> at start-up.
    /// </summary>
    public string? ModelMap { get; set; }

    /// <summary>Why <see cref="ModelMap"/> could not be applied, for the validator; null when it was (or is empty).</summary>
    internal string? ModelMapProblem { get; private set; }

    /// <summary>Adds <see cref="ModelMap"/>'s entries to <see cref="Models"/> (once, after binding), or notes why it cannot.</summary>
    internal void ApplyModelMap() => ModelMapProblem = MergeModelMap();

    private string? MergeModelMap()
    {
        if (string.IsNullOrWhiteSpace(ModelMap))
        {
            return null;
        }
        foreach (var entry in ModelMap.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = entry.IndexOf('=', StringComparison.Ordinal);
            var client = (equals < 0 ? entry : entry[..equals]).Trim();
            var upstream = (equals < 0 ? entry : entry[(equals + 1)..]).Trim();
            if (client.Length == 0 || upstream.Length == 0)
            {
                return $"ModelMap entry '{entry}' needs a model name (client=upstream, or one name for both).";
            }
            if (Models.TryGetValue(client, out var existing) && existing != upstream)
            {
                return $"ModelMap maps '{client}' to '{upstream}', but Models maps it to '{existing}'.";
            }
            Models[client] = upstream;
        }
        return null;
    }

    /// <summary>What keeps this upstream from serving, each naming its setting under <paramref name="path"/> (<c>Tollgate:Upstreams:{name}</c>).</summary>
    public IEnumerable<string> Problems(string path)
    {
        var failures = new List<string>();
        if (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add($"{path}:BaseUrl must be an absolute http(s) URL.");
        }
        else if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            failures.Add($"{path}:BaseUrl must not have a query or fragment.");
        }
        if (Azure is { } azure)
        {
            failures.AddRange(AzureOpenAi.Validate(path, this, azure));
        }
        if (AuthStyle != UpstreamAuthStyle.None && string.IsNullOrEmpty(Secret) && Azure is not { AuthMode: AzureOpenAiAuthMode.Entra })
        {
            failures.Add($"{path}:Secret is required unless AuthStyle is None (or Azure:AuthMode is Entra).");
        }
        Configuration.KeyVaultReference.AddIfUnresolved(failures, $"{path}:Secret", Secret);
        failures.AddRange(Adapt.Validate($"{path}:Adapt"));
        if (ModelMapProblem is { } mapProblem)
        {
            failures.Add($"{path}:{mapProblem}");
        }
        if (Models.Count == 0)
        {
            failures.Add($"{path}:Models (or ModelMap) must list at least one model.");
        }
        return failures;
    }
}
