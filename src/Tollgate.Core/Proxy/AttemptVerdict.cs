using Tollgate.Errors;

namespace Tollgate.Proxy;

/// <summary>
/// The decision on one attempt at a deployment (<see cref="AttemptClassifier"/>), which <see cref="UpstreamForwarder"/>
/// follows: what to do, the failure to record, the attempt's metric, and what to remember of the deployment's health.
/// </summary>
public readonly record struct AttemptVerdict
{
    public AttemptAction Action { get; init; }

    /// <summary>The failure the attempt counts as; <see cref="ProxyError.None"/> when it is relayed.</summary>
    public ProxyError Error { get; init; }

    /// <summary>
    /// The failure's own answer, when it has one. Null: an error status answers with the upstream's error (mapped),
    /// anything else with <see cref="ProxyErrors.Answer"/> of <see cref="Error"/>.
    /// </summary>
    public ApiError? Answer { get; init; }

    /// <summary>The <c>tollgate.result</c> of the attempt's <c>tollgate.upstream.attempts</c> count; null when it is not counted.</summary>
    public string? Result { get; init; }

    /// <summary>The attempt counts in the record's <c>Attempts</c>: a call went to the deployment's pipeline.</summary>
    public bool Attempted { get; init; }

    /// <summary>The request may have reached the upstream, so a model may be consuming tokens for it.</summary>
    public bool MayHaveReached { get; init; }

    /// <summary>The upstream said it is out of balance or credit: the deployment is left out for <c>BalanceCooldown</c>.</summary>
    public bool OutOfBalance { get; init; }

    /// <summary>
    /// Until when the deployment is left out, from the <c>Retry-After</c> of a 429 or 503; null when it gave none (or
    /// its status does not count one).
    /// </summary>
    public DateTimeOffset? RetryAfter { get; init; }

    /// <summary>The deployment said it is rate limited (429), rather than unavailable.</summary>
    public bool RateLimited { get; init; }
}
