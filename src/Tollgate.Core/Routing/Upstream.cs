namespace Tollgate.Routing;

/// <summary>A configured upstream, resolved once at start: its endpoint and credential header ready to send.</summary>
public sealed class Upstream
{
    public Upstream(string name, UpstreamOptions options)
    {
        Name = name;
        Envelope = options.Envelope;
        var baseUrl = options.BaseUrl.TrimEnd('/');
        var path = options.PathStyle == UpstreamPathStyle.ApiV1 ? "/api/v1" : "/v1";
        ChatCompletionsUri = new Uri(baseUrl + path + "/chat/completions", UriKind.Absolute);
        (AuthHeaderName, AuthHeaderValue) = options.AuthStyle switch
        {
            UpstreamAuthStyle.Bearer when !string.IsNullOrEmpty(options.Secret) => ("Authorization", "Bearer " + options.Secret),
            UpstreamAuthStyle.ApiKey when !string.IsNullOrEmpty(options.Secret) => ("api-key", options.Secret),
            _ => ((string?)null, (string?)null),
        };
        Secret = options.Secret;
        Adaptation = options.Adapt.IsEmpty ? Proxy.RequestAdaptation.None : Proxy.RequestAdaptation.Create(options.Adapt, $"Tollgate:Upstreams:{name}:Adapt");
    }

    /// <summary>How requests are adapted for this upstream (<see cref="Proxy.RequestAdaptation.None"/> when they are not).</summary>
    public Proxy.RequestAdaptation Adaptation { get; }

    public string Name { get; }

    public Uri ChatCompletionsUri { get; }

    public bool Envelope { get; }

    public string? AuthHeaderName { get; }

    public string? AuthHeaderValue { get; }

    /// <summary>Kept only so that upstream error text can be scrubbed of it.</summary>
    internal string? Secret { get; }

    public override string ToString() => Name;
}
