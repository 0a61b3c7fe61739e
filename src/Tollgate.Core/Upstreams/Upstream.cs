namespace Tollgate.Upstreams;

/// <summary>A configured upstream, resolved once at start: its endpoint, how it signs in, and how requests are adapted for it.</summary>
public sealed class Upstream
{
    public Upstream(string name, UpstreamOptions options, UpstreamCredential? credential = null)
    {
        Name = name;
        Envelope = options.Envelope;
        Azure = options.Azure;
        var baseUrl = options.BaseUrl.TrimEnd('/');
        var path = options.PathStyle == UpstreamPathStyle.ApiV1 ? "/api/v1" : "/v1";
        BaseUri = new Uri(baseUrl, UriKind.Absolute);
        // Azure OpenAI's deployment-style URL names the deployment: each route's deployment asks ChatCompletionsUriFor.
        ChatCompletionsUri = Azure is null ? new Uri(baseUrl + path + "/chat/completions", UriKind.Absolute)
            : Azure.ApiStyle == AzureOpenAiApiStyle.V1 ? AzureOpenAi.ChatCompletionsUri(BaseUri, AzureOpenAiApiStyle.V1, null, Azure.ApiVersion)
            : BaseUri;
        Credential = credential ?? new StaticKeyCredential(options.AuthStyle, options.Secret);
        Secret = options.Secret;
        ProviderName = Diagnostics.GenAiConventions.ProviderOf(BaseUri, Azure is not null);
        Adaptation = options.Adapt.IsEmpty ? RequestAdaptation.None : RequestAdaptation.Create(options.Adapt, $"Tollgate:Upstreams:{name}:Adapt");
    }

    /// <summary>The chat-completions URL for <paramref name="upstreamModel"/>: the same for every model, except Azure OpenAI's deployment-style URLs.</summary>
    public Uri ChatCompletionsUriFor(string upstreamModel) =>
        Azure is { ApiStyle: AzureOpenAiApiStyle.Deployment } azure
            ? AzureOpenAi.ChatCompletionsUri(BaseUri, azure.ApiStyle, azure.DeploymentFor(upstreamModel), azure.ApiVersion)
            : ChatCompletionsUri;

    /// <summary>The provider as OpenTelemetry's GenAI conventions name it (<c>gen_ai.provider.name</c>), from the base URL.</summary>
    public string ProviderName { get; }

    /// <summary>How requests to this upstream sign in: a fixed key header, or a Microsoft Entra ID token kept fresh.</summary>
    public UpstreamCredential Credential { get; }

    /// <summary>Azure OpenAI settings, or null for any other provider.</summary>
    public AzureOpenAiOptions? Azure { get; }

    private Uri BaseUri { get; }

    /// <summary>How requests are adapted for this upstream (<see cref="RequestAdaptation.None"/> when they are not).</summary>
    public RequestAdaptation Adaptation { get; }

    public string Name { get; }

    public Uri ChatCompletionsUri { get; }

    public bool Envelope { get; }

    /// <summary>Kept only so that upstream error text can be scrubbed of it.</summary>
    internal string? Secret { get; }

    public override string ToString() => Name;
}
