namespace Tollgate.Proxy;

/// <summary>
/// Where a request failed, in the order of its stages (like YARP's <c>ForwarderError</c>). Each has one status,
/// one error code and one outcome, all in <see cref="ProxyErrors"/>.
/// </summary>
public enum ProxyError
{
    None = 0,

    /// <summary>The request itself was refused before anything was forwarded (its own answer says why).</summary>
    RequestRejected,

    /// <summary>No connection to the upstream could be made (refused, DNS, TLS).</summary>
    UpstreamUnreachable,

    /// <summary>The connection failed after the request was sent, before an answer.</summary>
    UpstreamConnectionFailed,

    /// <summary>No response headers, or no whole non-streaming body, within the upstream response timeout.</summary>
    UpstreamTimeout,

    /// <summary>The upstream answered with a redirect, which is never followed.</summary>
    UpstreamRedirect,

    /// <summary>The upstream answered with an error (status, or an envelope that says it failed).</summary>
    UpstreamFailed,

    /// <summary>A successful answer that is not JSON.</summary>
    UpstreamResponseNotJson,

    /// <summary>A successful answer that is not valid JSON.</summary>
    UpstreamResponseInvalidJson,

    /// <summary>A non-streaming answer over <c>MaxUpstreamResponseBytes</c>.</summary>
    UpstreamResponseTooLarge,

    /// <summary>A complete JSON answer to a request that asked for a stream.</summary>
    UpstreamResponseNotStream,

    /// <summary>The connection failed while a non-streaming body was being read.</summary>
    UpstreamBodyBroken,

    /// <summary>The stream went quiet for longer than <c>StreamIdleTimeout</c>.</summary>
    StreamIdleTimeout,

    /// <summary>The stream ended or broke before <c>[DONE]</c>, or sent an event over <c>MaxSseEventBytes</c>.</summary>
    StreamBroken,

    /// <summary>The upstream sent an error event inside a successful stream (relayed as it came).</summary>
    StreamErrorEvent,

    /// <summary>The client went away before the response was complete.</summary>
    ClientAborted,

    /// <summary>A fault in the gateway itself.</summary>
    Internal,
}
