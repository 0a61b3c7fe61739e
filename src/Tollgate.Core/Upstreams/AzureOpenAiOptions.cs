namespace Tollgate.Upstreams;

/// <summary>
/// Azure OpenAI settings of one upstream, from <c>Tollgate:Upstreams:{name}:Azure</c>. The upstream's <c>BaseUrl</c> is the
/// resource endpoint, e.g. <c>https://my-resource.openai.azure.com</c>.
/// </summary>
public sealed class AzureOpenAiOptions
{
    /// <summary>The section's name under an upstream's section.</summary>
    public const string SectionName = "Azure";

    public AzureOpenAiAuthMode AuthMode { get; set; } = AzureOpenAiAuthMode.ApiKey;

    /// <summary>
    /// The client id of a user-assigned managed identity to take tokens as (with <see cref="AzureOpenAiAuthMode.Entra"/>);
    /// empty for <c>DefaultAzureCredential</c>.
    /// </summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>The token scope; empty for <see cref="EntraTokenCredential.DefaultScope"/>.</summary>
    public string? TokenScope { get; set; }

    public AzureOpenAiApiStyle ApiStyle { get; set; } = AzureOpenAiApiStyle.V1;

    /// <summary>
    /// The <c>api-version</c> query value: required with <see cref="AzureOpenAiApiStyle.Deployment"/> (<c>2024-10-21</c>,
    /// <c>2025-04-01-preview</c>); with <see cref="AzureOpenAiApiStyle.V1"/> normally empty (<c>preview</c> or <c>latest</c> allowed).
    /// </summary>
    public string? ApiVersion { get; set; }

    /// <summary>
    /// With <see cref="AzureOpenAiApiStyle.Deployment"/>, one deployment serving every model of this upstream; empty to use
    /// each model's upstream name (the values of <c>Models</c>) as its deployment.
    /// </summary>
    public string? Deployment { get; set; }

    /// <summary>The deployment a route with this upstream model name is sent to (deployment style).</summary>
    public string DeploymentFor(string upstreamModel) => string.IsNullOrWhiteSpace(Deployment) ? upstreamModel : Deployment.Trim();
}
