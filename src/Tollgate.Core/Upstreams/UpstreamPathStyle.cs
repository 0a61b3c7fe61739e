namespace Tollgate.Upstreams;

/// <summary>Where an upstream serves chat completions: <c>{base}/v1/chat/completions</c> or <c>{base}/api/v1/chat/completions</c>.</summary>
public enum UpstreamPathStyle
{
    V1,
    ApiV1,
}
