using System.Globalization;

namespace Tollgate.Upstreams;

/// <summary>
/// Azure OpenAI's chat completions URLs and the checks on the settings that build them. Every check returns a
/// problem naming the setting (null when there is none), so start-up can fail with the configuration path.
/// </summary>
public static class AzureOpenAi
{
    /// <summary>The longest deployment name accepted.</summary>
    public const int MaxDeploymentNameLength = 64;

    /// <summary>
    /// <c>{endpoint}/openai/v1/chat/completions</c> (with <c>?api-version=</c> only when one is given), or
    /// <c>{endpoint}/openai/deployments/{deployment}/chat/completions?api-version={apiVersion}</c>. A trailing
    /// <c>/openai</c> or <c>/openai/v1</c> on the endpoint is dropped, so the URL copied from the portal works too.
    /// </summary>
    /// <param name="deployment">The deployment (deployment style only; ignored by the v1 API, where the body's model names it).</param>
    /// <exception cref="ArgumentException">A setting is unusable; the message is the problem.</exception>
    public static Uri ChatCompletionsUri(Uri resourceEndpoint, AzureOpenAiApiStyle apiStyle, string? deployment, string? apiVersion)
    {
        ArgumentNullException.ThrowIfNull(resourceEndpoint);
        if (EndpointProblem(resourceEndpoint) is { } endpointProblem)
        {
            throw new ArgumentException(endpointProblem, nameof(resourceEndpoint));
        }
        if (ApiVersionProblem(apiStyle, apiVersion) is { } versionProblem)
        {
            throw new ArgumentException(versionProblem, nameof(apiVersion));
        }
        var root = ResourceRoot(resourceEndpoint);
        if (apiStyle == AzureOpenAiApiStyle.V1)
        {
            var query = string.IsNullOrWhiteSpace(apiVersion) ? "" : "?api-version=" + Uri.EscapeDataString(apiVersion.Trim());
            return new Uri(root + "/openai/v1/chat/completions" + query, UriKind.Absolute);
        }
        if (DeploymentNameProblem(deployment) is { } deploymentProblem)
        {
            throw new ArgumentException(deploymentProblem, nameof(deployment));
        }
        // The name is already limited to characters that need no escaping; escaping anyway keeps the path ours.
        return new Uri($"{root}/openai/deployments/{Uri.EscapeDataString(deployment!)}/chat/completions?api-version={Uri.EscapeDataString(apiVersion!.Trim())}",
            UriKind.Absolute);
    }

    /// <summary>Why <paramref name="baseUrl"/> cannot be an Azure OpenAI resource endpoint; null when it can.</summary>
    public static string? EndpointProblem(string? baseUrl) =>
        Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri)
            ? EndpointProblem(uri)
            : "BaseUrl must be the Azure OpenAI resource endpoint, an absolute URL such as https://my-resource.openai.azure.com.";

    /// <summary>Why <paramref name="endpoint"/> cannot be an Azure OpenAI resource endpoint; null when it can.</summary>
    public static string? EndpointProblem(Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttps && !(endpoint.Scheme == Uri.UriSchemeHttp && endpoint.IsLoopback)))
        {
            return "BaseUrl must be an https URL (http only on loopback): keys and tokens are sent with every request.";
        }
        if (!string.IsNullOrEmpty(endpoint.Query) || !string.IsNullOrEmpty(endpoint.Fragment) || !string.IsNullOrEmpty(endpoint.UserInfo))
        {
            return "BaseUrl must not have a query, fragment or user info.";
        }
        return null;
    }

    /// <summary>Why <paramref name="apiVersion"/> cannot go with <paramref name="apiStyle"/>; null when it can.</summary>
    public static string? ApiVersionProblem(AzureOpenAiApiStyle apiStyle, string? apiVersion)
    {
        var version = apiVersion?.Trim();
        if (apiStyle == AzureOpenAiApiStyle.V1)
        {
            return string.IsNullOrEmpty(version) || version is "preview" or "latest"
                ? null
                : $"ApiVersion '{version}' cannot go with ApiStyle V1: leave it empty (the v1 API takes no dated version), or use 'preview' or 'latest'.";
        }
        if (string.IsNullOrEmpty(version))
        {
            return "ApiVersion is required with ApiStyle Deployment, e.g. 2024-10-21 or 2025-04-01-preview.";
        }
        return IsDatedApiVersion(version)
            ? null
            : $"ApiVersion '{version}' must be a date, yyyy-MM-dd or yyyy-MM-dd-preview, e.g. 2024-10-21 or 2025-04-01-preview.";
    }

    /// <summary>
    /// Why <paramref name="name"/> cannot be a deployment name in a URL path; null when it can. Accepted: 1 to 64 ASCII
    /// letters, digits, '-', '_' and '.', starting with a letter or digit and without "..", so it can never change the path.
    /// </summary>
    public static string? DeploymentNameProblem(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "The deployment name is required with ApiStyle Deployment.";
        }
        if (name.Length > MaxDeploymentNameLength
            || !char.IsAsciiLetterOrDigit(name[0])
            || name.Contains("..", StringComparison.Ordinal)
            || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            return $"The deployment name '{name}' must be 1 to {MaxDeploymentNameLength} letters, digits, '-', '_' or '.', starting with a letter or digit, without '..'.";
        }
        return null;
    }

    /// <summary>
    /// Every problem with an Azure OpenAI upstream's settings, each starting with its configuration path.
    /// </summary>
    /// <param name="path">The upstream's section, e.g. <c>Tollgate:Upstreams:azure</c>.</param>
    public static IReadOnlyList<string> Validate(string path, UpstreamOptions upstream, AzureOpenAiOptions azure)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        ArgumentNullException.ThrowIfNull(azure);
        var azurePath = $"{path}:{AzureOpenAiOptions.SectionName}";
        var problems = new List<string>();
        if (EndpointProblem(upstream.BaseUrl) is { } endpointProblem)
        {
            problems.Add($"{path}:{endpointProblem}");
        }

        if (azure.AuthMode == AzureOpenAiAuthMode.Entra)
        {
            if (!string.IsNullOrEmpty(upstream.Secret))
            {
                problems.Add($"{path}:Secret must be empty when {azurePath}:AuthMode is Entra (the token replaces the key).");
            }
            if (!string.IsNullOrWhiteSpace(azure.ManagedIdentityClientId) && !Guid.TryParse(azure.ManagedIdentityClientId.Trim(), out _))
            {
                problems.Add($"{azurePath}:ManagedIdentityClientId must be the client id (a GUID) of a user-assigned managed identity.");
            }
            if (!string.IsNullOrWhiteSpace(azure.TokenScope)
                && !(Uri.TryCreate(azure.TokenScope.Trim(), UriKind.Absolute, out var scope) && scope.Scheme == Uri.UriSchemeHttps
                     && azure.TokenScope.Trim().EndsWith("/.default", StringComparison.Ordinal)))
            {
                problems.Add($"{azurePath}:TokenScope must be an https resource followed by /.default, e.g. {EntraTokenCredential.DefaultScope}.");
            }
        }
        else
        {
            if (string.IsNullOrEmpty(upstream.Secret) || upstream.AuthStyle == UpstreamAuthStyle.None)
            {
                problems.Add($"{path}:Secret and AuthStyle ApiKey are required when {azurePath}:AuthMode is ApiKey (or set it to Entra).");
            }
            if (!string.IsNullOrWhiteSpace(azure.ManagedIdentityClientId))
            {
                problems.Add($"{azurePath}:ManagedIdentityClientId applies only when {azurePath}:AuthMode is Entra.");
            }
        }

        if (ApiVersionProblem(azure.ApiStyle, azure.ApiVersion) is { } versionProblem)
        {
            problems.Add($"{azurePath}:{versionProblem}");
        }
        if (azure.ApiStyle == AzureOpenAiApiStyle.V1)
        {
            if (!string.IsNullOrWhiteSpace(azure.Deployment))
            {
                problems.Add($"{azurePath}:Deployment applies only with ApiStyle Deployment (with V1 the upstream model names are the deployments).");
            }
        }
        else if (!string.IsNullOrWhiteSpace(azure.Deployment))
        {
            if (DeploymentNameProblem(azure.Deployment.Trim()) is { } deploymentProblem)
            {
                problems.Add($"{azurePath}:Deployment: {deploymentProblem}");
            }
        }
        else
        {
            foreach (var (clientModel, upstreamModel) in upstream.Models)
            {
                var deployment = string.IsNullOrEmpty(upstreamModel) ? clientModel : upstreamModel;
                if (DeploymentNameProblem(deployment) is { } deploymentProblem)
                {
                    problems.Add($"{path}:Models:{clientModel} names the deployment with ApiStyle Deployment: {deploymentProblem}");
                }
            }
        }
        return problems;
    }

    private static bool IsDatedApiVersion(string version) =>
        (version.Length == 10 || (version.Length == 18 && version.EndsWith("-preview", StringComparison.Ordinal)))
        && DateOnly.TryParseExact(version.AsSpan(0, 10), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _);

    /// <summary>Scheme, host, port and any path prefix, without a trailing '/', '/openai' or '/openai/v1'.</summary>
    private static string ResourceRoot(Uri endpoint)
    {
        var root = endpoint.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped).TrimEnd('/');
        foreach (var suffix in (string[])["/openai/v1", "/openai"])
        {
            if (root.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return root[..^suffix.Length];
            }
        }
        return root;
    }
}
