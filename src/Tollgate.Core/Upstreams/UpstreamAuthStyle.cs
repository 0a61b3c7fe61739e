namespace Tollgate.Upstreams;

/// <summary>How Tollgate presents the upstream secret.</summary>
public enum UpstreamAuthStyle
{
    /// <summary><c>Authorization: Bearer {secret}</c>.</summary>
    Bearer,

    /// <summary><c>api-key: {secret}</c>, as Azure OpenAI expects.</summary>
    ApiKey,

    /// <summary>No credential (a local model server).</summary>
    None,
}
