using Tollgate.Errors;
using Tollgate.Routing;

namespace Tollgate.Proxy;

/// <summary>
/// The failover policy, as a pure decision (in the manner of the Azure SDK's <c>ResponseClassifier</c>): from what one
/// attempt at a deployment produced (a status, a <c>Retry-After</c>, an out-of-balance error, or a fault instead of a
/// response) and the settings, whether its answer is relayed, the next deployment is tried, or its failure is final.
/// Only failures that cannot have run the completion fail over, unless <c>FailoverWhenUnsure</c> allows the others
/// too: no connection, no credential, an open circuit, 429, a 503 with <c>Retry-After</c>, an out-of-balance answer.
/// A redirect, a client error (any other 4xx, and 500) and the request's own deadline always end the request.
/// <see cref="UpstreamForwarder"/> does the I/O and follows the verdict.
/// </summary>
public static class AttemptClassifier
{
    /// <summary>How long a deployment that answered 429 without <c>Retry-After</c> is assumed to need.</summary>
    public static readonly TimeSpan RateLimitedWait = TimeSpan.FromSeconds(1);

    private static readonly ApiError CannotSignIn = ApiErrors.UpstreamUnavailable("The gateway cannot sign in to the upstream provider right now.");
    private static readonly ApiError CircuitOpen = ApiErrors.UpstreamUnavailable();

    private static readonly AttemptVerdict Relayed = new() { Action = AttemptAction.Relay, Result = "ok", Attempted = true, MayHaveReached = true };

    private static readonly AttemptVerdict Redirected =
        new() { Action = AttemptAction.Final, Error = ProxyError.UpstreamRedirect, Result = "redirect", Attempted = true, MayHaveReached = true };

    /// <summary>
    /// The attempt's own timeout. A stream gets its headers from a healthy deployment at once: waiting long for them is a
    /// reason to try another, when another may follow (the plan's last attempt waits until the request's deadline).
    /// Without <c>FailoverWhenUnsure</c> a slow answer is never abandoned for another deployment, so no attempt has one.
    /// </summary>
    /// <param name="anotherMayFollow">The attempt is not the plan's last.</param>
    public static AttemptLimit LimitFor(bool anotherMayFollow, bool stream, bool failoverWhenUnsure) =>
        anotherMayFollow && failoverWhenUnsure
            ? stream ? AttemptLimit.Stream : AttemptLimit.Answer
            : AttemptLimit.None;

    /// <summary>A failed connection: unreachable when it proves the request never left (refused, DNS, TLS), else lost.</summary>
    public static AttemptFault FaultOf(HttpRequestError error) =>
        error is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError
            ? AttemptFault.Unreachable
            : AttemptFault.ConnectionLost;

    /// <summary>The status is an error whose answer is read (for the provider's explanation, and whether it is out of balance).</summary>
    public static bool HasErrorAnswer(int status) => status is < 200 or >= 400;

    /// <summary>The status's <c>Retry-After</c> counts: 429 and 503 say when the deployment will serve again.</summary>
    public static bool CountsRetryAfter(int status) => status is 429 or 503;

    /// <summary>The verdict on a response.</summary>
    /// <param name="status">The response's status.</param>
    /// <param name="outOfBalance">Its error answer says the provider is out of balance or credit (402, or a balance error).</param>
    /// <param name="retryAfter">When its <c>Retry-After</c> says it will serve again; null when it gave none.</param>
    /// <param name="failoverWhenUnsure"><c>Resilience:FailoverWhenUnsure</c>.</param>
    public static AttemptVerdict ForStatus(int status, bool outOfBalance, DateTimeOffset? retryAfter, bool failoverWhenUnsure)
    {
        if (status is >= 200 and < 300)
        {
            return Relayed;
        }
        if (status is >= 300 and < 400)
        {
            return Redirected;
        }
        if (outOfBalance)
        {
            return new() { Action = AttemptAction.FailOver, Error = ProxyError.UpstreamFailed, Result = "out_of_balance", Attempted = true, MayHaveReached = true, OutOfBalance = true };
        }
        var until = CountsRetryAfter(status) ? retryAfter : null;
        var rateLimited = status == 429;
        if (status is 408 or 429 or 502 or 503 or 504)
        {
            // 429 and a 503 with Retry-After say the completion did not run; the others leave it open.
            var failOver = rateLimited || until is not null || failoverWhenUnsure;
            return new()
            {
                Action = failOver ? AttemptAction.FailOver : AttemptAction.Final, Error = ProxyError.UpstreamFailed,
                Result = rateLimited ? "rate_limited" : "unavailable", Attempted = true, MayHaveReached = true, RetryAfter = until, RateLimited = rateLimited,
            };
        }
        // Another error is the request's, not the deployment's: it passes through (sanitised), whichever deployment said it.
        return new() { Action = AttemptAction.Final, Error = ProxyError.UpstreamFailed, Result = "client_error", Attempted = true, MayHaveReached = true };
    }

    /// <summary>The verdict on an attempt that produced no response.</summary>
    /// <param name="failoverWhenUnsure"><c>Resilience:FailoverWhenUnsure</c>.</param>
    public static AttemptVerdict ForFault(AttemptFault fault, bool failoverWhenUnsure) => fault switch
    {
        // It cannot sign in: nothing was sent, another deployment may serve.
        AttemptFault.NoCredential => new() { Action = AttemptAction.FailOver, Error = ProxyError.UpstreamUnreachable, Answer = CannotSignIn, Result = "no_credential" },
        // Its circuit opened since the plan was made (or a probe is under way): nothing was sent, and the attempt is not counted.
        AttemptFault.CircuitOpen => new() { Action = AttemptAction.FailOver, Error = ProxyError.UpstreamUnreachable, Answer = CircuitOpen },
        AttemptFault.AttemptTimeout => new()
        {
            Action = AttemptAction.FailOver, Error = ProxyError.UpstreamTimeout, Answer = ApiErrors.GatewayTimeout, Result = "timeout", Attempted = true, MayHaveReached = true,
        },
        // No time is left for another attempt.
        AttemptFault.DeadlinePassed => new() { Action = AttemptAction.Final, Error = ProxyError.UpstreamTimeout, Result = "timeout", Attempted = true, MayHaveReached = true },
        AttemptFault.Unreachable => new() { Action = AttemptAction.FailOver, Error = ProxyError.UpstreamUnreachable, Result = "unreachable", Attempted = true },
        // The request may have reached the deployment before the connection was lost: not sent anywhere else unless allowed.
        AttemptFault.ConnectionLost => new()
        {
            Action = failoverWhenUnsure ? AttemptAction.FailOver : AttemptAction.Final, Error = ProxyError.UpstreamConnectionFailed, Result = "unreachable",
            Attempted = true, MayHaveReached = true,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(fault), fault, null),
    };
}
