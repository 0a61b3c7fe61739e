using System.Net;
using Microsoft.AspNetCore.Http;

namespace Tollgate.Upstreams;

/// <summary>
/// Builds the request sent upstream: the rewritten body as is (no copy), the upstream's own credentials, the
/// request id, and only the client headers a provider needs (User-Agent, OpenAI-Beta); never the client's key.
/// </summary>
public sealed class UpstreamRequestFactory
{
    /// <summary>
    /// The request for one attempt at <paramref name="upstream"/>. Throws <see cref="UpstreamCredentialUnavailableException"/>
    /// when it cannot sign in.
    /// </summary>
    /// <param name="upstream">The upstream: its credential and its fixed headers.</param>
    /// <param name="chatCompletionsUri">Where the request goes (<see cref="Upstream.ChatCompletionsUriFor"/> the upstream model, computed once).</param>
    /// <param name="body">The body to send, already rewritten for this upstream; sent without a copy.</param>
    /// <param name="stream">True when the client asked for a stream (the request then accepts <c>text/event-stream</c>).</param>
    /// <param name="requestId">The request's id, sent as <c>X-Request-Id</c>.</param>
    /// <param name="incoming">The client's request headers, of which only <c>User-Agent</c> and <c>OpenAI-Beta</c> are passed on.</param>
    /// <param name="cancellationToken">Cancels signing in.</param>
    public async ValueTask<HttpRequestMessage> CreateAsync(Upstream upstream, Uri chatCompletionsUri, ReadOnlyMemory<byte> body, bool stream, string requestId,
        IHeaderDictionary incoming, CancellationToken cancellationToken)
    {
        var auth = await upstream.Credential.GetHeaderAsync(cancellationToken).ConfigureAwait(false);
        var message = new HttpRequestMessage(HttpMethod.Post, chatCompletionsUri)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrHigher,
            Content = new ReadOnlyMemoryContent(body),
        };
        message.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        var headers = message.Headers;
        headers.TryAddWithoutValidation("Accept", stream ? "text/event-stream" : "application/json");
        headers.TryAddWithoutValidation("X-Request-Id", requestId);
        if (auth is { } header)
        {
            headers.TryAddWithoutValidation(header.Name, header.Value);
        }
        if (incoming.UserAgent.Count > 0)
        {
            headers.TryAddWithoutValidation("User-Agent", incoming.UserAgent.ToString());
        }
        if (incoming.TryGetValue("OpenAI-Beta", out var beta))
        {
            headers.TryAddWithoutValidation("OpenAI-Beta", beta.ToString());
        }
        foreach (var (headerName, headerValue) in upstream.Adaptation.Headers)
        {
            // A fixed header replaces what the client sent under that name.
            headers.Remove(headerName);
            headers.TryAddWithoutValidation(headerName, headerValue);
        }
        return message;
    }
}
