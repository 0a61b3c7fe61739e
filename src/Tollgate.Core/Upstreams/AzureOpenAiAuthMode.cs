namespace Tollgate.Upstreams;

/// <summary>How Tollgate authenticates to Azure OpenAI.</summary>
public enum AzureOpenAiAuthMode
{
    /// <summary>The upstream's <c>Secret</c>, presented as its <c>AuthStyle</c> says (<c>api-key</c> normally).</summary>
    ApiKey,

    /// <summary>A Microsoft Entra ID token from Azure.Identity, sent as <c>Authorization: Bearer</c>.</summary>
    Entra,
}
