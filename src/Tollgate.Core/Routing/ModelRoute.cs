namespace Tollgate.Routing;

/// <summary>A client-facing model name and the upstream that serves it under its own name.</summary>
public sealed class ModelRoute(string clientModel, Upstream upstream, string upstreamModel)
{
    public string ClientModel { get; } = clientModel;

    public Upstream Upstream { get; } = upstream;

    public string UpstreamModel { get; } = upstreamModel;

    /// <summary>The upstream model as a JSON string token, quotes included, for splicing into bodies.</summary>
    public byte[] EncodedUpstreamModel { get; } = Proxy.RequestRewriter.EncodeModel(upstreamModel);
}
