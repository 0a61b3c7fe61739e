using Microsoft.AspNetCore.Http;
using Tollgate.Errors;
using Tollgate.Usage;

namespace Tollgate.Proxy;

/// <summary>The one map from a <see cref="ProxyError"/> to the answer a client gets and the outcome its usage record keeps.</summary>
public static class ProxyErrors
{
    private static readonly ApiError Redirect = ApiErrors.BadGateway("The upstream provider answered with a redirect, which the gateway does not follow.");
    private static readonly ApiError Unreachable = ApiErrors.BadGateway("The upstream provider could not be reached.", "upstream_unreachable");
    private static readonly ApiError ConnectionFailed = ApiErrors.BadGateway("The upstream provider's connection failed before it answered.", "upstream_connection_failed");
    private static readonly ApiError Failed = ApiErrors.BadGateway("The upstream provider reported a failure.");
    private static readonly ApiError NotJson = ApiErrors.BadGateway("The upstream provider returned a response that is not JSON.");
    private static readonly ApiError InvalidJson = ApiErrors.BadGateway("The upstream provider returned invalid JSON.");
    private static readonly ApiError TooLarge = ApiErrors.BadGateway("The upstream provider's response is larger than the gateway relays.", "upstream_response_too_large");
    private static readonly ApiError NotStream = ApiErrors.BadGateway("The upstream provider answered a streaming request without a stream.");
    private static readonly ApiError BodyBroken = ApiErrors.BadGateway("The upstream provider's connection failed.", "upstream_stream_broken");
    private static readonly ApiError StreamBroken = ApiErrors.BadGateway("The upstream provider's stream ended before the response was complete.", "upstream_stream_broken");
    private static readonly ApiError StreamErrorEvent = ApiErrors.BadGateway("The upstream provider reported an error inside its stream.", "upstream_stream_error");
    private static readonly ApiError ClientAborted =
        new(StatusCodes.Status499ClientClosedRequest, "invalid_request_error", "client_aborted", "The client closed the connection before the response was complete.");

    /// <summary>The answer for <paramref name="error"/> when the stage has no more specific one of its own.</summary>
    public static ApiError Answer(ProxyError error) => error switch
    {
        ProxyError.UpstreamUnreachable => Unreachable,
        ProxyError.UpstreamConnectionFailed => ConnectionFailed,
        ProxyError.UpstreamTimeout or ProxyError.StreamIdleTimeout => ApiErrors.GatewayTimeout,
        ProxyError.UpstreamRedirect => Redirect,
        ProxyError.UpstreamFailed => Failed,
        ProxyError.UpstreamResponseNotJson => NotJson,
        ProxyError.UpstreamResponseInvalidJson => InvalidJson,
        ProxyError.UpstreamResponseTooLarge => TooLarge,
        ProxyError.UpstreamResponseNotStream => NotStream,
        ProxyError.UpstreamBodyBroken => BodyBroken,
        ProxyError.StreamBroken => StreamBroken,
        ProxyError.StreamErrorEvent => StreamErrorEvent,
        ProxyError.ClientAborted => ClientAborted,
        ProxyError.Internal => ApiErrors.Internal,
        ProxyError.RequestRejected or ProxyError.None => throw new ArgumentException($"{error} has no answer of its own.", nameof(error)),
        _ => throw new ArgumentOutOfRangeException(nameof(error), error, null),
    };

    /// <summary>How a request that met <paramref name="error"/> ended, for its usage record.</summary>
    public static RequestOutcome Outcome(ProxyError error) => error switch
    {
        ProxyError.None => RequestOutcome.Completed,
        ProxyError.RequestRejected => RequestOutcome.Rejected,
        ProxyError.UpstreamBodyBroken or ProxyError.StreamIdleTimeout or ProxyError.StreamBroken => RequestOutcome.StreamBroken,
        ProxyError.ClientAborted => RequestOutcome.ClientAborted,
        _ => RequestOutcome.UpstreamError,
    };
}
