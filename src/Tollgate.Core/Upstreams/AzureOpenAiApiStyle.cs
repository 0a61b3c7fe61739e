namespace Tollgate.Upstreams;

/// <summary>Which Azure OpenAI URL serves chat completions.</summary>
public enum AzureOpenAiApiStyle
{
    /// <summary><c>{endpoint}/openai/v1/chat/completions</c>; the body's <c>model</c> names the deployment.</summary>
    V1,

    /// <summary><c>{endpoint}/openai/deployments/{deployment}/chat/completions?api-version={version}</c>.</summary>
    Deployment,
}
