using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Logging;

namespace Tollgate.Upstreams;

/// <summary>
/// Produces the credential header for one upstream request. Static keys answer synchronously without allocating;
/// Entra ID tokens come from a cache refreshed ahead of expiry.
/// </summary>
public abstract class UpstreamCredential
{
    /// <summary>No credential header (a local model server).</summary>
    public static UpstreamCredential None { get; } = new StaticKeyCredential(UpstreamAuthStyle.None, null);

    /// <summary>The header to send, or null to send none.</summary>
    /// <exception cref="UpstreamCredentialUnavailableException">No valid credential can be had now (answer 503).</exception>
    public abstract ValueTask<UpstreamAuthHeader?> GetHeaderAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The credential an upstream's settings ask for: an Entra ID token when <paramref name="azure"/> says
    /// <see cref="AzureOpenAiAuthMode.Entra"/>, otherwise <paramref name="secret"/> presented as <paramref name="authStyle"/> says.
    /// </summary>
    /// <param name="upstreamName">The upstream's configured name, for log lines.</param>
    /// <param name="tokenCredential">
    /// The Azure credential to take tokens from; null for <see cref="CreateTokenCredential"/>'s choice. Pass one to share a
    /// <see cref="DefaultAzureCredential"/> between upstreams, or a fake in tests.
    /// </param>
    public static UpstreamCredential Create(string upstreamName, UpstreamAuthStyle authStyle, string? secret, AzureOpenAiOptions? azure,
        TimeProvider time, ILogger? logger = null, TokenCredential? tokenCredential = null)
    {
        if (azure is not { AuthMode: AzureOpenAiAuthMode.Entra })
        {
            return new StaticKeyCredential(authStyle, secret);
        }
        return new EntraTokenCredential(tokenCredential ?? CreateTokenCredential(azure), time, azure.TokenScope, logger)
        {
            UpstreamName = upstreamName,
        };
    }

    /// <summary>
    /// The user-assigned managed identity named by <see cref="AzureOpenAiOptions.ManagedIdentityClientId"/>, or
    /// <see cref="DefaultAzureCredential"/> (environment, workload identity, managed identity, developer tools) without one.
    /// Creating either makes no network call.
    /// </summary>
    public static TokenCredential CreateTokenCredential(AzureOpenAiOptions azure)
    {
        ArgumentNullException.ThrowIfNull(azure);
        return string.IsNullOrWhiteSpace(azure.ManagedIdentityClientId)
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(azure.ManagedIdentityClientId.Trim()));
    }
}
