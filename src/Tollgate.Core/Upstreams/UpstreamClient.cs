using System.Net;

namespace Tollgate.Upstreams;

/// <summary>
/// The one connection pool to upstreams: <see cref="SocketsHttpHandler"/> used through
/// <see cref="HttpMessageInvoker"/> (no response buffering), with redirects, cookies, proxies and
/// decompression off and a connect timeout; W3C trace context is forwarded when a span is current.
/// </summary>
public sealed class UpstreamClient : IDisposable
{
    private readonly HttpMessageInvoker _invoker;

    public UpstreamClient(HttpMessageHandler handler) => _invoker = new HttpMessageInvoker(handler, disposeHandler: true);

    /// <summary>The client every upstream call goes through: no redirects, cookies or proxy, bytes as sent, pooled connections.</summary>
    /// <param name="connectTimeout">Longest a new connection may take (<c>Tollgate:UpstreamConnectTimeout</c>).</param>
    public static UpstreamClient Create(TimeSpan connectTimeout) => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = connectTimeout,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        MaxConnectionsPerServer = int.MaxValue,
        EnableMultipleHttp2Connections = true,
        // The default propagator: when a span is current (OpenTelemetry listening, or a client that sent a traceparent)
        // the upstream request carries W3C trace context, and the HttpClient instrumentation makes it a client span.
    });

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        _invoker.SendAsync(request, cancellationToken);

    public void Dispose() => _invoker.Dispose();
}
