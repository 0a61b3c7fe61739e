using System.Net;
using Tollgate.Json;
using Tollgate.Routing;

namespace Tollgate.Proxy;

/// <summary>
/// Builds the request sent upstream: the rewritten body as is (no copy), the upstream's own credentials, the
/// request id, and only the client headers a provider needs (User-Agent, OpenAI-Beta); never the client's key.
/// </summary>
public sealed class UpstreamRequestFactory
{
    public HttpRequestMessage Create(ProxyExchange exchange, Deployment deployment, PooledBufferWriter body)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, deployment.Upstream.ChatCompletionsUri)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrHigher,
            Content = new ReadOnlyMemoryContent(body.WrittenMemory),
        };
        message.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        var headers = message.Headers;
        headers.TryAddWithoutValidation("Accept", exchange.Request!.Stream ? "text/event-stream" : "application/json");
        headers.TryAddWithoutValidation("X-Request-Id", exchange.Record.RequestId);
        if (deployment.Upstream.AuthHeaderName is { } name)
        {
            headers.TryAddWithoutValidation(name, deployment.Upstream.AuthHeaderValue);
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
