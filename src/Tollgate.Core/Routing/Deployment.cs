using Tollgate.Upstreams;

namespace Tollgate.Routing;

/// <summary>One way to serve a route: an upstream and the model name it expects, with its priority, weight and health.</summary>
public sealed class Deployment(Upstream upstream, string upstreamModel, int priority, int weight, DeploymentHealth health)
{
    public Upstream Upstream { get; } = upstream;

    public string UpstreamModel { get; } = upstreamModel;

    /// <summary>Where its requests go (for Azure OpenAI's deployment-style URLs, the deployment is in it).</summary>
    public Uri ChatCompletionsUri { get; } = upstream.ChatCompletionsUriFor(upstreamModel);

    /// <summary>The upstream model as a JSON string token, quotes included, for splicing into bodies.</summary>
    public byte[] EncodedUpstreamModel { get; } = ModelNameToken.Encode(upstreamModel);

    public int Priority { get; } = priority;

    public int Weight { get; } = weight;

    public DeploymentHealth Health { get; } = health;

    /// <summary><c>{upstream}/{model}</c>: how logs, metrics and the admin listing name it.</summary>
    public string Name { get; } = upstream.Name + "/" + upstreamModel;

    public override string ToString() => Name;
}
