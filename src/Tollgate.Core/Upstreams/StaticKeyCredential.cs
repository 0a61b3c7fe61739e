namespace Tollgate.Upstreams;

/// <summary>A fixed key, its header built once: <c>Authorization: Bearer {secret}</c>, <c>api-key: {secret}</c>, or none.</summary>
public sealed class StaticKeyCredential : UpstreamCredential
{
    private readonly UpstreamAuthHeader? _header;
    private readonly UpstreamAuthStyle _style;

    /// <param name="secret">The key; null or empty sends no header whatever the style.</param>
    public StaticKeyCredential(UpstreamAuthStyle style, string? secret)
    {
        _style = string.IsNullOrEmpty(secret) ? UpstreamAuthStyle.None : style;
        _header = _style switch
        {
            UpstreamAuthStyle.Bearer => new UpstreamAuthHeader("Authorization", "Bearer " + secret),
            UpstreamAuthStyle.ApiKey => new UpstreamAuthHeader("api-key", secret!),
            _ => null,
        };
    }

    public override ValueTask<UpstreamAuthHeader?> GetHeaderAsync(CancellationToken cancellationToken) => new(_header);

    public override string ToString() => _style switch
    {
        UpstreamAuthStyle.Bearer => "static key (Authorization: Bearer)",
        UpstreamAuthStyle.ApiKey => "static key (api-key)",
        _ => "no credential",
    };
}
