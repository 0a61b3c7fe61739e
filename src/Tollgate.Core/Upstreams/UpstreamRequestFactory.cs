using System.Net;
using Tollgate.Json;
using Tollgate.Proxy;
using Tollgate.Routing;

namespace Tollgate.Upstreams;

/// <summary>
/// Builds the request sent upstream: the rewritten body as is (no copy), the upstream's own credentials, the
/// request id, and only the client headers a provider needs (User-Agent, OpenAI-Beta); never the client's key.
/// </summary>
public sealed class UpstreamRequestFactory
{
    /// <summary>The request for one attempt at <paramref name="deployment"/>. Throws <see cref="UpstreamCredentialUnavailableException"/> when it cannot sign in.</summary>
    public async ValueTask<HttpRequestMessage> CreateAsync(ProxyExchange exchange, Deployment deployment, PooledBufferWriter body, CancellationToken cancellationToken)
    {
        var auth = await deployment.Upstream.Credential.GetHeaderAsync(cancellationToken).ConfigureAwait(false);
        var message = new HttpRequestMessage(HttpMethod.Post, deployment.ChatCompletionsUri)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrHigher,
            Content = new ReadOnlyMemoryContent(body.WrittenMemory),
        };
        message.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        var headers = message.Headers;
        headers.TryAddWithoutValidation("Accept", exchange.Request!.Stream ? "text/event-stream" : "application/json");
        headers.TryAddWithoutValidation("X-Request-Id", exchange.Record.RequestId);
        if (auth is { } header)
        {
            headers.TryAddWithoutValidation(header.Name, header.Value);
        }
        var incoming = exchange.Context.Request.Headers;
        if (incoming.UserAgent.Count > 0)
        {
            headers.TryAddWithoutValidation("User-Agent", incoming.UserAgent.ToString());
        }
        if (incoming.TryGetValue("OpenAI-Beta", out var beta))
        {
            headers.TryAddWithoutValidation("OpenAI-Beta", beta.ToString());
        }
        foreach (var (headerName, headerValue) in deployment.Upstream.Adaptation.Headers)
        {
            // A fixed header replaces what the client sent under that name.
            headers.Remove(headerName);
            headers.TryAddWithoutValidation(headerName, headerValue);
        }
        return message;
    }
}
